using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SelfSup.Runs;

/// <summary>
/// Keeps two runs from writing into one run folder. Taking the lock creates <see cref="FileName"/> in the folder
/// (atomically: the file must not exist yet) holding the owner's process id, host, process start time and when it
/// took the lock; disposing it deletes the file. A lock whose owner is gone (same host, and no live process with
/// that id and start time) is taken over with a message. Taking the lock is also the first write into the folder,
/// so an output folder that cannot be written to fails here, before any training.
/// </summary>
public sealed class RunLock : IDisposable
{
    /// <summary>The lock file's name inside the run folder.</summary>
    public const string FileName = "run.lock";

    readonly Owner owner;
    bool released;

    RunLock(string path, Owner owner)
    {
        Path = path;
        this.owner = owner;
    }

    /// <summary>The lock file.</summary>
    public string Path { get; }

    /// <summary>Who holds a lock: enough to tell whether that process still runs.</summary>
    sealed record Owner(int Pid, string Host, DateTimeOffset ProcessStarted, DateTimeOffset Locked)
    {
        public static Owner Current()
        {
            using var self = Process.GetCurrentProcess();
            return new Owner(Environment.ProcessId, Environment.MachineName, self.StartTime.ToUniversalTime(), DateTimeOffset.UtcNow);
        }

        [JsonIgnore] public bool OnThisHost => string.Equals(Host, Environment.MachineName, StringComparison.OrdinalIgnoreCase);

        /// <summary>Whether the owner still runs; a lock from another host is always taken to be held.</summary>
        public bool Alive()
        {
            if (!OnThisHost) return true;
            try
            {
                using var process = Process.GetProcessById(Pid);
                // A process id is reused after its process ends: a different start time means a different process.
                return Math.Abs((process.StartTime.ToUniversalTime() - ProcessStarted).TotalSeconds) < 2;
            }
            catch (ArgumentException)
            {
                return false; // no process with that id
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
            {
                return true; // it exists but cannot be inspected: assume it is the owner
            }
        }

        public string Describe() =>
            $"process {Pid} on host {Host} since {Locked.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC";
    }

    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    /// <summary>
    /// Takes the lock of <paramref name="runDir"/> (created when missing). Throws an <see cref="IOException"/> naming
    /// the folder and the owner when another live run holds it, and an <see cref="UnauthorizedAccessException"/> (or
    /// <see cref="IOException"/> for a read-only file system) naming the folder when it cannot be written to.
    /// <paramref name="log"/> receives a line when a stale lock is taken over.
    /// </summary>
    public static RunLock Acquire(string runDir, Action<string>? log = null)
    {
        var path = System.IO.Path.Combine(runDir, FileName);
        var self = Owner.Current();
        for (int attempt = 0; attempt < 20; attempt++)
        {
            if (TryCreate(runDir, path, self)) return new RunLock(path, self);
            var holder = Read(path);
            if (holder is null)
            {
                if (!File.Exists(path)) continue; // released between our attempt and the read
                if (DateTime.UtcNow - File.GetLastWriteTimeUtc(path) < TimeSpan.FromSeconds(5))
                {
                    Thread.Sleep(250); // another run is writing its lock file
                    continue;
                }
            }
            else if (holder.Alive())
            {
                throw new IOException($"run folder {runDir} is in use by another run ({holder.Describe()}; lock file {path}): wait for it to finish or choose another output folder"
                    + (holder.OnThisHost ? "" : $"; if that run is gone, delete {path}"));
            }
            log?.Invoke(holder is null
                ? $"{path}: taking over an unreadable lock file left by an interrupted run"
                : $"{path}: taking over a stale lock from {holder.Describe()}; that process no longer runs");
            File.Delete(path);
        }
        throw new IOException($"run folder {runDir}: could not take the lock {path}; another run may be starting there");
    }

    /// <summary>Creates the lock file when none exists; false when one does. Errors that mean the folder cannot be written name it.</summary>
    static bool TryCreate(string runDir, string path, Owner self)
    {
        try
        {
            Directory.CreateDirectory(runDir);
            using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
            JsonSerializer.Serialize(stream, self, Json);
            stream.Flush(flushToDisk: true);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UnauthorizedAccessException($"output folder {runDir} is not writable ({e.Message}): choose another output folder or make it writable", e);
        }
        catch (IOException e)
        {
            throw new IOException($"output folder {runDir} cannot be written to ({e.Message}): choose another output folder", e);
        }
    }

    /// <summary>The owner recorded in a lock file; null when it is gone or unreadable (an interrupted write).</summary>
    static Owner? Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<Owner>(File.ReadAllText(path), Json);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Deletes the lock file, unless another run has since taken it over.</summary>
    public void Dispose()
    {
        if (released) return;
        released = true;
        try
        {
            if (Read(Path) == owner) File.Delete(Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A lock file that cannot be removed is found stale by the next run; it must not hide the run's own outcome.
        }
    }
}
