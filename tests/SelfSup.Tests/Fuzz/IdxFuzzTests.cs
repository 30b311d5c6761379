using System.IO.Compression;
using CsCheck;
using SelfSup.Data;
using SelfSup.Tests.Data;

namespace SelfSup.Tests.Fuzz;

[Trait("Category", "Fuzz")]
public class IdxFuzzTests
{
    const string Seed = "0000001diBi0";

    static readonly byte[] Valid = IdxReaderTests.Idx(IdxReader.ImagesMagic, [2, 3, 3], Enumerable.Range(0, 18).Select(i => (byte)i).ToArray());
    static readonly Field[] Header = [new(0, 4, true), new(4, 4, true), new(8, 4, true), new(12, 4, true)];

    static byte[] Gzip(byte[] content)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest)) gz.Write(content);
        return ms.ToArray();
    }

    /// <summary>A well-formed header with extreme dimensions and a short body.</summary>
    static readonly Gen<byte[]> Structured = Gen.Select(Mutations.Extreme.Array[3], Gen.Byte.Array[0, 40],
        (dims, body) => IdxReaderTests.Idx(IdxReader.ImagesMagic, dims.Select(d => (int)d).ToArray(), body));

    static readonly Gen<HostileCase> Cases = Gen.Frequency(
        (4, Mutations.Of(Valid, Header).Select(b => new HostileCase("images-idx3-ubyte", b))),
        (2, Structured.Select(b => new HostileCase("images-idx3-ubyte", b))),
        (2, Mutations.Of(Valid, Header).Select(b => new HostileCase("images-idx3-ubyte.gz", Gzip(b)))),
        (2, Mutations.Of(Gzip(Valid)).Select(b => new HostileCase("images-idx3-ubyte.gz", b))));

    [Fact]
    public void HostileIdxFiles_LoadOrFailNamingTheFile()
    {
        TorchRuntime.Initialize();
        HostileFiles.Check(Cases, Seed, path => IdxReader.Read(path).Dispose(), [typeof(InvalidDataException)]);
    }

    [Fact]
    public void DimensionsWhoseProductWrapsToZero_AreRefusedNamingTheFile()
    {
        using var dir = new TempDir();
        var path = dir.File("images-idx3-ubyte");
        File.WriteAllBytes(path, IdxReaderTests.Idx(IdxReader.ImagesMagic, [1 << 30, 1 << 30, 16], [])); // 2^64 values: 0 modulo 2^64

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));

        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("[1073741824, 1073741824, 16]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GzipBomb_StopsReadingPastTheDeclaredSize()
    {
        using var dir = new TempDir();
        var path = dir.File("images-idx3-ubyte.gz");
        using (var gz = new GZipStream(File.Create(path), CompressionLevel.Fastest))
        {
            gz.Write(IdxReaderTests.Idx(IdxReader.ImagesMagic, [1, 2, 2], [1, 2, 3, 4]));
            var zeros = new byte[1 << 20];
            for (var i = 0; i < 256; i++) gz.Write(zeros); // 256 MiB more than the header declares
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));

        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("more data than", e.Message, StringComparison.Ordinal);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "the reader inflated the whole bomb");
    }
}
