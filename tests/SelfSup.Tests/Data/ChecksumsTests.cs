using System.IO.Compression;
using SelfSup.Data;

namespace SelfSup.Tests.Data;

public class ChecksumsTests
{
    // sha256("abc"), a published test vector (FIPS 180-2)
    const string AbcSha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    const string AbcMd5 = "900150983cd24fb0d6963f7d28e17f72";

    [Fact]
    public void Hashes_MatchPublishedTestVectors()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("abc"), "abc");

        Assert.Equal(AbcSha256, Checksums.Sha256(dir.File("abc")));
        Assert.Equal(AbcMd5, Checksums.Md5(dir.File("abc")));
    }

    [Fact]
    public void ContentSha256_OfGzipIsTheUncompressedHash()
    {
        using var dir = new TempDir();
        using (var fs = File.Create(dir.File("abc.gz")))
        using (var gz = new GZipStream(fs, CompressionLevel.Optimal))
            gz.Write("abc"u8);

        Assert.Equal(AbcSha256, Checksums.ContentSha256(dir.File("abc.gz")));
        Checksums.Verify(dir.File("abc.gz"), new ExpectedHash(ContentSha256: AbcSha256));
    }

    [Fact]
    public void Verify_AcceptsAnyMatchingHash()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("abc"), "abc");

        Checksums.Verify(dir.File("abc"), new ExpectedHash(Sha256: new string('0', 64), Md5: AbcMd5));
    }

    [Fact]
    public void Mismatch_NamesFileExpectedAndFoundHashes()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("abc"), "abd");
        var wrong = new string('1', 64);

        var e = Assert.Throws<InvalidDataException>(() => Checksums.Verify(dir.File("abc"), new ExpectedHash(Sha256: wrong)));

        Assert.Contains(dir.File("abc"), e.Message);
        Assert.Contains("expected sha256 " + wrong, e.Message);
        Assert.Contains("found sha256 " + Checksums.Sha256(dir.File("abc")), e.Message);
    }
}
