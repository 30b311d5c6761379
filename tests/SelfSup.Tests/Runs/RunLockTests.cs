using System.Diagnostics;
using System.Text.Json;
using SelfSup.Runs;

namespace SelfSup.Tests.Runs;

public sealed class RunLockTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("selfsup-lock-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    string LockFile(string dir) => Path.Combine(dir, RunLock.FileName);

    /// <summary>A lock file as another run would leave it.</summary>
    static void WriteLock(string dir, int pid, string host, DateTimeOffset processStarted)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, RunLock.FileName), JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["pid"] = pid, ["host"] = host, ["process_started"] = processStarted, ["locked"] = DateTimeOffset.UtcNow.AddHours(-1),
        }));
    }

    static DateTimeOffset OwnStart()
    {
        using var self = Process.GetCurrentProcess();
        return self.StartTime.ToUniversalTime();
    }

    [Fact]
    public void ASecondLock_OnTheSameFolder_IsRefused_NamingTheFolderAndTheOwner_UntilTheFirstIsReleased()
    {
        var dir = Path.Combine(root, "run");
        using (var first = RunLock.Acquire(dir))
        {
            Assert.True(File.Exists(LockFile(dir)));
            using var doc = JsonDocument.Parse(File.ReadAllText(LockFile(dir)));
            Assert.Equal(Environment.ProcessId, doc.RootElement.GetProperty("pid").GetInt32());
            Assert.Equal(Environment.MachineName, doc.RootElement.GetProperty("host").GetString());

            var e = Assert.Throws<IOException>(() => RunLock.Acquire(dir));
            Assert.Contains($"run folder {dir} is in use", e.Message);
            Assert.Contains($"process {Environment.ProcessId} on host {Environment.MachineName}", e.Message);
        }
        Assert.False(File.Exists(LockFile(dir)));
        using var second = RunLock.Acquire(dir);
        Assert.True(File.Exists(LockFile(dir)));
    }

    [Fact]
    public void AStaleLock_WhoseProcessIsGone_IsTakenOver_WithALogLine()
    {
        var dir = Path.Combine(root, "stale");
        const int gone = int.MaxValue; // above any pid_max: no process has it
        WriteLock(dir, gone, Environment.MachineName, DateTimeOffset.UtcNow.AddHours(-2));
        var log = new List<string>();
        using var taken = RunLock.Acquire(dir, log.Add);
        var line = Assert.Single(log);
        Assert.Contains($"stale lock from process {gone} on host {Environment.MachineName}", line);
        using var doc = JsonDocument.Parse(File.ReadAllText(LockFile(dir)));
        Assert.Equal(Environment.ProcessId, doc.RootElement.GetProperty("pid").GetInt32());
    }

    [Fact]
    public void ALockWhoseProcessIdWasReused_IsStale()
    {
        var dir = Path.Combine(root, "reused");
        // This process's id, but a process that started an hour earlier: the id now belongs to someone else.
        WriteLock(dir, Environment.ProcessId, Environment.MachineName, OwnStart().AddHours(-1));
        var log = new List<string>();
        using var taken = RunLock.Acquire(dir, log.Add);
        Assert.Single(log);
    }

    [Fact]
    public void ALockHeldByThisLiveProcess_WrittenByHand_IsRefused()
    {
        var dir = Path.Combine(root, "alive");
        WriteLock(dir, Environment.ProcessId, Environment.MachineName, OwnStart());
        Assert.Throws<IOException>(() => RunLock.Acquire(dir));
    }

    [Fact]
    public void ALockFromAnotherHost_IsRefused_SayingHowToClearIt()
    {
        var dir = Path.Combine(root, "remote");
        WriteLock(dir, int.MaxValue, "another-host", DateTimeOffset.UtcNow);
        var e = Assert.Throws<IOException>(() => RunLock.Acquire(dir));
        Assert.Contains("on host another-host", e.Message);
        Assert.Contains($"delete {LockFile(dir)}", e.Message);
    }

    [Fact]
    public void AnEmptyLockFile_LeftLongAgo_IsTakenOver()
    {
        var dir = Path.Combine(root, "empty");
        Directory.CreateDirectory(dir);
        File.WriteAllText(LockFile(dir), "");
        File.SetLastWriteTimeUtc(LockFile(dir), DateTime.UtcNow.AddMinutes(-5));
        var log = new List<string>();
        using var taken = RunLock.Acquire(dir, log.Add);
        Assert.Contains("unreadable lock file", Assert.Single(log));
    }

    [Fact]
    public void Releasing_LeavesALockThatAnotherRunTookOver_InPlace()
    {
        var dir = Path.Combine(root, "taken");
        var mine = RunLock.Acquire(dir);
        WriteLock(dir, int.MaxValue, "another-host", DateTimeOffset.UtcNow);
        mine.Dispose();
        Assert.True(File.Exists(LockFile(dir)));
    }

    [Fact]
    public void ATrainerRun_HoldsTheLockWhileItTrains_AndReleasesItAfterwards_AlsoWhenItFails()
    {
        var dir = Path.Combine(root, "trainer");
        var seen = new List<bool>();
        SmallCheckpointRun.Fit(dir, maxSteps: 1, progress: new OnStep(() => seen.Add(File.Exists(LockFile(dir)))));
        Assert.Equal([true], seen);
        Assert.False(File.Exists(LockFile(dir)));

        var empty = Path.Combine(root, "nothing-to-resume");
        Assert.Throws<FileNotFoundException>(() => SmallCheckpointRun.Fit(empty, maxSteps: 1, resume: true));
        Assert.False(File.Exists(LockFile(empty)));
    }

    [Fact]
    public void ATrainerRun_IntoAFolderInUse_IsRefusedBeforeItWritesAnything()
    {
        var dir = Path.Combine(root, "busy");
        using var other = RunLock.Acquire(dir);
        var e = Assert.Throws<IOException>(() => SmallCheckpointRun.Fit(dir, maxSteps: 1));
        Assert.Contains(dir, e.Message);
        Assert.Equal([RunLock.FileName], Directory.GetFiles(dir).Select(Path.GetFileName));
    }
}
