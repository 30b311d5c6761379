using SelfSup.Data;
using SelfSup.Methods;
using SelfSup.Runs;
using SelfSup.Tests.TestSupport;
using SelfSup.Training;
using static TorchSharp.torch;

namespace SelfSup.Tests.Runs;

public sealed class CheckpointStorageFaultTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("selfsup-storage-").FullName;

    public void Dispose()
    {
        if (!OperatingSystem.IsWindows())
            foreach (var dir in Directory.GetDirectories(root)) File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.Delete(root, recursive: true);
    }

    /// <summary>A file that stops taking bytes after <paramref name="capacity"/> of them, as a disk that fills up does.</summary>
    sealed class FillingDisk(string path, long capacity) : Stream
    {
        readonly FileStream inner = new(path, FileMode.Create, FileAccess.Write);
        long written;

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            var room = (int)Math.Max(0, Math.Min(buffer.Length, capacity - written));
            inner.Write(buffer[..room]);
            written += room;
            if (room < buffer.Length) throw new IOException($"No space left on device : '{path}'");
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => written;
        public override long Position { get => written; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }

    static SslMethod Method() => Pretraining.BuildMethod(SmallCheckpointRun.Config(1)).Method;

    static CheckpointState State(long step) => new() { Step = step, TotalSteps = 4, Config = SmallCheckpointRun.Config(1) };

    [Fact]
    public void ADiskThatFillsDuringASave_NamesTheCheckpoint_RemovesTheTemporaryFile_AndKeepsThePreviousCheckpoint()
    {
        var path = Path.Combine(root, "checkpoints", "last.ckpt");
        using var method = Method();
        Checkpoint.Save(path, method, optimizer: null, State(1));
        var saved = SmallCheckpointRun.Weights(method);
        var size = new FileInfo(path).Length;
        using (no_grad())
            foreach (var p in method.parameters()) p.add_(1f); // the next checkpoint would hold other weights

        var e = Assert.Throws<IOException>(() => Checkpoint.SaveThrough(path, method, null, State(2), tmp => new FillingDisk(tmp, size / 2)));
        Assert.Contains(path, e.Message);
        Assert.Contains("No space left on device", e.Message);
        Assert.Contains("previous checkpoint there is unchanged", e.Message);
        Assert.False(File.Exists(path + ".tmp"));

        using var reloaded = Method();
        var state = Checkpoint.Load(path, reloaded, optimizer: null);
        Assert.Equal(1, state.Step);
        Assert.NotNull(state.Sha256);
        foreach (var (k, v) in SmallCheckpointRun.Weights(reloaded)) Assert.Equal(saved[k], v);
    }

    [Fact]
    public void ADiskThatFillsInTheTrailer_StillLeavesNoHalfCheckpoint()
    {
        var path = Path.Combine(root, "first", "last.ckpt");
        using var method = Method();
        var full = Path.Combine(root, "full.ckpt");
        Checkpoint.Save(full, method, optimizer: null, State(1));
        var size = new FileInfo(full).Length;
        // Room for the whole payload but not for the 40-byte trailer.
        var e = Assert.Throws<IOException>(() => Checkpoint.SaveThrough(path, method, null, State(1), tmp => new FillingDisk(tmp, size - 20)));
        Assert.Contains(path, e.Message);
        Assert.Contains("no checkpoint was written", e.Message);
        Assert.False(File.Exists(path));
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Fact]
    public void ARealOutOfSpaceError_FromDevFull_IsReportedWithTheCheckpointPath()
    {
        if (!File.Exists("/dev/full")) return; // a Linux device that answers every write with ENOSPC
        var path = Path.Combine(root, "devfull", "last.ckpt");
        using var method = Method();
        Checkpoint.Save(path, method, optimizer: null, State(1));
        var e = Assert.Throws<IOException>(() => Checkpoint.SaveThrough(path, method, null, State(2), _ => new FileStream("/dev/full", FileMode.Open, FileAccess.Write)));
        Assert.Contains(path, e.Message);
        Assert.Equal(1, Checkpoint.ReadState(path).Step);
        Assert.NotNull(Checkpoint.Verify(path));
    }

    [Fact]
    public void AReadOnlyOutputFolder_FailsBeforeTraining_NamingTheFolder()
    {
        if (OperatingSystem.IsWindows()) return;
        // Root ignores permission bits, but not /sys, which refuses new files to everyone.
        string dir;
        if (Environment.IsPrivilegedProcess) dir = "/sys";
        else
        {
            dir = Path.Combine(root, "read-only");
            Directory.CreateDirectory(dir);
            File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        }
        var steps = 0;
        var e = Assert.ThrowsAny<Exception>(() => SmallCheckpointRun.Fit(dir, maxSteps: 1, progress: new OnStep(() => steps++)));
        Assert.True(e is UnauthorizedAccessException or IOException, e.GetType().Name);
        Assert.Contains($"output folder {dir}", e.Message);
        Assert.Equal(0, steps);
        Assert.False(File.Exists(Path.Combine(dir, "config.yaml")));
    }
}
