using System.Buffers.Binary;
using System.IO.Compression;
using CsCheck;
using SelfSup.Data;
using SelfSup.Tests.Data;

namespace SelfSup.Tests.Fuzz;

[Trait("Category", "Fuzz")]
public class NpzFuzzTests
{
    const string Seed = "0000001diBk0";

    /// <summary>A zip of the given entries, stored or deflated.</summary>
    internal static byte[] Zip(bool deflate, params (string Name, byte[] Bytes)[] entries)
    {
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, bytes) in entries)
            {
                using var s = zip.CreateEntry(name, deflate ? CompressionLevel.Fastest : CompressionLevel.NoCompression).Open();
                s.Write(bytes);
            }
        return ms.ToArray();
    }

    static readonly byte[] Images = NpyFuzzTests.Npy("|u1", "(2, 2, 2)", [1, 2, 3, 4, 5, 6, 7, 8]);
    static readonly byte[] Labels = NpyFuzzTests.Npy("<i8", "(2,)", new byte[16]);
    static readonly byte[] Stored = Zip(false, ("train_images.npy", Images), ("train_labels.npy", Labels));
    static readonly byte[] Deflated = Zip(true, ("train_images.npy", Images), ("train_labels.npy", Labels));

    /// <summary>The size and offset fields of every local header and central-directory record, and of the end record.</summary>
    static Field[] ZipFields(byte[] zip)
    {
        var fields = new List<Field>();
        for (var i = 0; i + 4 <= zip.Length; i++)
        {
            switch (BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(i)))
            {
                case 0x04034b50: // local file header: method, crc, compressed and uncompressed size, name and extra lengths
                    fields.AddRange([new(i + 8, 2), new(i + 14, 4), new(i + 18, 4), new(i + 22, 4), new(i + 26, 2), new(i + 28, 2)]);
                    break;
                case 0x02014b50: // central directory: the same, plus the local header's offset
                    fields.AddRange([new(i + 10, 2), new(i + 20, 4), new(i + 24, 4), new(i + 28, 2), new(i + 30, 2), new(i + 42, 4)]);
                    break;
                case 0x06054b50: // end of central directory: entry counts, directory size and offset
                    fields.AddRange([new(i + 8, 2), new(i + 10, 2), new(i + 12, 4), new(i + 16, 4)]);
                    break;
            }
        }
        return [.. fields];
    }

    /// <summary>Well-formed archives holding hostile arrays: bad header dicts, wrong dtypes, shapes that do not fit.</summary>
    static readonly Gen<byte[]> HostileArrays = Gen.Select(NpyFuzzTests.Files, NpyFuzzTests.Files, Gen.Bool,
        (images, labels, deflate) => Zip(deflate, ("train_images.npy", images), ("train_labels.npy", labels)));

    static readonly Gen<HostileCase> Cases = Gen.Frequency(
        (3, Mutations.Of(Stored, ZipFields(Stored))), (2, Mutations.Of(Deflated, ZipFields(Deflated))), (2, HostileArrays))
        .Select(b => new HostileCase("data.npz", b));

    [Fact]
    public void HostileNpzFiles_LoadOrFailNamingTheFile()
    {
        TorchRuntime.Initialize();
        HostileFiles.Check(Cases, Seed, path =>
        {
            _ = NpzReader.Keys(path);
            NpzReader.Read(path).Dispose();
        }, [typeof(InvalidDataException), typeof(KeyNotFoundException)]);
    }

    [Fact]
    public void EntryDeclaringFourGigabytes_IsRefusedWithoutAllocatingThem()
    {
        using var dir = new TempDir();
        var path = dir.File("lying.npz");
        var zip = Stored.ToArray();
        foreach (var f in ZipFields(zip).Where(f => f.Width == 4))
            if (BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(f.Offset)) == Images.Length) // the images entry's uncompressed size
                BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(f.Offset), 0xfffffff0);
        File.WriteAllBytes(path, zip);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => NpzReader.Read(path));

        Assert.StartsWith(path, e.Message, StringComparison.Ordinal);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "the reader allocated the declared size");
    }

    [Theory]
    [InlineData(33_554_432L)]  // 2^25: a class list of 33 million names, built in seconds
    [InlineData(1L << 62)]     // wraps to a negative class count
    [InlineData(-1L)]
    public void LabelOutsideTheClassRange_IsRefusedNamingTheFileAndRow(long label)
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        var path = dir.File("labels.npz");
        var labels = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(labels.AsSpan(8), label);
        File.WriteAllBytes(path, Zip(false, ("train_images.npy", Images), ("train_labels.npy", NpyFuzzTests.Npy("<i8", "(2,)", labels))));

        var e = Assert.Throws<InvalidDataException>(() => NpzReader.Read(path));

        Assert.Equal($"{path}:train_labels: label {label} at row 1 is not a class index from 0 to 99999", e.Message);
    }
}
