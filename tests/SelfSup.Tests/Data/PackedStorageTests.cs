using SelfSup.Data;
using SkiaSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Data;

/// <summary>Datasets read row by row from their packed file behave exactly as the same dataset in memory.</summary>
public class PackedStorageTests
{
    /// <summary>A labelled folder of 11 small colour images, each with its own colours.</summary>
    static void WriteFolder(TempDir dir)
    {
        for (var i = 0; i < 11; i++)
            TestImages.WritePng(dir.File($"{(i % 3 == 0 ? "cat" : "dog")}/{i:D2}.png"), 6, 6,
                (x, y) => new SKColor((byte)(20 * i + x), (byte)(7 * y + i), (byte)(x * y)));
    }

    static string PackFolder(TempDir dir, DatasetOptions options, int? chunk = null)
    {
        var path = dir.File("cache/folder.sspack");
        PackedCache.Create(path, w => ImageFolderReader.Pack(dir.Path, options, "folder", w, chunk));
        return path;
    }

    static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.data<byte>().ToArray().SequenceEqual(b.contiguous().data<byte>().ToArray());

    [Fact]
    public void StreamedPack_ReadFromFile_EqualsTheFolderDecodedInMemory()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        WriteFolder(dir);
        using var memory = ImageFolderReader.Read(dir.Path);
        var path = PackFolder(dir, new DatasetOptions(), chunk: 4); // three chunks, the last one partial

        using var file = PackedCache.Open(path, DataStorage.File);
        using var loaded = PackedCache.Open(path, DataStorage.Memory);

        Assert.False(file.InMemory);
        Assert.True(loaded.InMemory);
        Assert.Equal(memory.Labels, file.Labels);
        Assert.Equal(memory.ClassNames, file.ClassNames);
        Assert.Equal(3, file.Channels);
        using var all = file.Range(0, file.Count);
        Assert.True(Same(memory.Images, all));
        Assert.True(Same(memory.Images, loaded.Images));
        long[] rows = [10, 0, 5, 6, 7, 2];
        using var fromFile = file.Rows(rows);
        using var fromMemory = memory.Rows(rows);
        Assert.True(Same(fromMemory, fromFile));
        var e = Assert.Throws<InvalidOperationException>(() => file.Images);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void SubsetOfAFileDataset_IsAViewThatOutlivesItsParent()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        WriteFolder(dir);
        var path = PackFolder(dir, new DatasetOptions());
        using var memory = PackedCache.Open(path, DataStorage.Memory);
        var file = PackedCache.Open(path, DataStorage.File);
        long[] rows = [9, 3, 4];
        using var subset = file.Subset(rows, "some");
        using var nested = subset.Subset([2, 0]);
        file.Dispose();

        Assert.False(subset.InMemory);
        Assert.Equal(rows.Select(r => memory.Labels![r]), subset.Labels!);
        using var expected = memory.Rows(rows);
        using var got = subset.Range(0, 3);
        Assert.True(Same(expected, got));
        using var expectedNested = memory.Rows([4, 9]);
        using var gotNested = nested.Range(0, 2);
        Assert.True(Same(expectedNested, gotNested));
    }

    [Fact]
    public void Loader_GivesTheSameBatches_FromFileAndFromMemory_IncludingAResumedEpoch()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        WriteFolder(dir);
        var path = PackFolder(dir, new DatasetOptions());
        using var memory = PackedCache.Open(path, DataStorage.Memory);
        using var file = PackedCache.Open(path, DataStorage.File);
        var a = new DataLoader(memory, batchSize: 3, seed: 5);
        var b = new DataLoader(file, batchSize: 3, seed: 5);

        foreach (var start in new[] { 0, 2 })
        {
            var fromMemory = a.Epoch(1, start).ToList();
            var fromFile = b.Epoch(1, start).ToList();
            Assert.Equal(3 - start, fromFile.Count);
            for (var i = 0; i < fromFile.Count; i++)
            {
                Assert.Equal(fromMemory[i].Indices, fromFile[i].Indices);
                Assert.True(Same(fromMemory[i].Images, fromFile[i].Images));
                Assert.Equal(fromMemory[i].Labels!.data<long>().ToArray(), fromFile[i].Labels!.data<long>().ToArray());
            }
            foreach (var batch in fromMemory.Concat(fromFile)) batch.Dispose();
        }
    }

    [Fact]
    public void AbandonedFileEpoch_StopsCleanly()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        WriteFolder(dir);
        var path = PackFolder(dir, new DatasetOptions());
        using var file = PackedCache.Open(path, DataStorage.File);
        var loader = new DataLoader(file, batchSize: 2, seed: 1);
        foreach (var batch in loader.Epoch(0))
        {
            batch.Dispose();
            break; // the batch read ahead is freed by the enumerator's finally
        }
        Assert.Equal(5, loader.Epoch(0).Count(b => { b.Dispose(); return true; }));
    }

    [Fact]
    public void GrayGuess_RestartsWithThreeChannels_AtTheFirstColourImage()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        for (var i = 0; i < 5; i++)
            TestImages.WritePng(dir.File($"{i}.png"), 4, 4, (x, y) => new SKColor((byte)(10 * i + x), (byte)(10 * i + x), (byte)(10 * i + x)));
        // The fifth image, in the third chunk of two, is in colour.
        TestImages.WritePng(dir.File("4.png"), 4, 4, (x, y) => new SKColor(200, (byte)(10 * y), 30));
        var lines = new List<string>();
        var path = PackFolder(dir, new DatasetOptions { Log = new Lines(lines) }, chunk: 2);
        using var packed = PackedCache.Open(path, DataStorage.Memory);
        using var three = ImageFolderReader.Read(dir.Path, new() { Channels = 3 });

        Assert.Equal(3, packed.Channels);
        Assert.True(Same(three.Images, packed.Images));
        Assert.Contains(lines, l => l.Contains("4.png") && l.Contains("3 channels"));
    }

    [Fact]
    public void AllGrayFolder_PacksOnePlane()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        for (var i = 0; i < 5; i++)
            TestImages.WritePng(dir.File($"{i}.png"), 4, 4, (x, y) => new SKColor((byte)(i + 7 * x + y), (byte)(i + 7 * x + y), (byte)(i + 7 * x + y)));
        var path = PackFolder(dir, new DatasetOptions(), chunk: 2);
        using var packed = PackedCache.Open(path, DataStorage.File);
        using var luma = ImageFolderReader.Read(dir.Path, new() { Channels = 1 });
        Assert.Equal(1, packed.Channels);
        using var all = packed.Range(0, 5);
        Assert.True(Same(luma.Images, all));
    }

    [Fact]
    public void DiskFillingUp_LeavesNoCacheAndNoTemporaryFile_AndSaysSo()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        WriteFolder(dir);
        var path = dir.File("cache/folder.sspack");
        // /dev/full fails every write with ENOSPC, the error a full disk gives.
        Func<string, Stream> full = File.Exists("/dev/full")
            ? _ => new FileStream("/dev/full", FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, 1)
            : tmp => new FullAfter(File.Create(tmp), 100);
        var e = Assert.Throws<IOException>(() => PackedCache.Create(path, w => ImageFolderReader.Pack(dir.Path, new DatasetOptions(), "folder", w), full));

        Assert.Contains(path, e.Message);
        Assert.Contains("disk filled up", e.Message);
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFiles(dir.File("cache")));
    }

    [Fact]
    public void AFailedPack_KeepsTheCacheThatWasThere()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        WriteFolder(dir);
        var path = PackFolder(dir, new DatasetOptions());
        var before = File.ReadAllBytes(path);
        File.WriteAllBytes(dir.File("dog/05.png"), [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3]);

        var e = Assert.Throws<InvalidDataException>(() => PackFolder(dir, new DatasetOptions()));
        Assert.Contains("05.png", e.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(dir.File("cache")));
    }

    [Fact]
    public void PackedFile_IsADataSource_AndATruncatedOneIsRefused()
    {
        TorchRuntime.Initialize();
        using var dir = new TempDir();
        WriteFolder(dir);
        var path = PackFolder(dir, new DatasetOptions());
        using (var train = Datasets.Load(path, "train", new DatasetOptions { Storage = DataStorage.File }))
        using (var test = Datasets.Load(path, "test", new DatasetOptions { Storage = DataStorage.File }))
        {
            Assert.False(train.InMemory);
            Assert.Equal(11, train.Count + test.Count);
        }
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^50]);
        var e = Assert.Throws<InvalidDataException>(() => PackedCache.Open(path, DataStorage.File));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Auto_KeepsSmallDataInMemory_AndReadsLargeDataFromFile()
    {
        var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        Assert.Equal(DataStorage.Memory, PackedCache.Decide(DataStorage.Auto, 1 << 20, "x"));
        Assert.Equal(DataStorage.File, PackedCache.Decide(DataStorage.Auto, memory / 2, "x"));
        Assert.Equal(DataStorage.Memory, PackedCache.Decide(DataStorage.Memory, memory * 2, "x"));
        Assert.Equal(DataStorage.File, PackedCache.Decide(DataStorage.File, 10, "x"));
        Assert.Equal(DataStorage.File, DataStorageNames.Parse("FILE"));
        var e = Assert.Throws<ArgumentException>(() => DataStorageNames.Parse("disk", "--storage"));
        Assert.Contains("--storage", e.Message);
        Assert.Contains("auto, memory or file", e.Message);
    }

    sealed class Lines(List<string> lines) : IProgress<string>
    {
        public void Report(string value)
        {
            lock (lines) lines.Add(value);
        }
    }

    /// <summary>A stream that fails like a full disk once <paramref name="capacity"/> bytes are written.</summary>
    sealed class FullAfter(Stream inner, long capacity) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => true;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void SetLength(long value) => inner.SetLength(value);

        public override void Write(byte[] buffer, int offset, int count)
        {
            if (inner.Position + count > capacity) throw new IOException("No space left on device", 28);
            inner.Write(buffer, offset, count);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
