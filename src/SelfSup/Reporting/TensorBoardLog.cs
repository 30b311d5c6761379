using System.Globalization;
using TorchSharp;

namespace SelfSup.Reporting;

/// <summary>
/// A run's TensorBoard event files (runDir/tensorboard), written by TorchSharp's
/// <c>torch.utils.tensorboard.SummaryWriter</c>: every numeric field of a metrics.jsonl record as a scalar at the
/// record's step, and PNG pictures. Each writer starts a new event file, so a run folder holds one file per run
/// segment (the first start, then one per resume); <see cref="TruncateAfter"/> cuts the older files back to a
/// checkpoint's step before a resumed segment writes, so no step is logged twice, and a fresh run in the same folder
/// first deletes the earlier run's files (<see cref="DeleteEventFiles"/>).
/// </summary>
public sealed class TensorBoardLog
{
    /// <summary>The folder in a run directory that holds the event files.</summary>
    public const string FolderName = "tensorboard";

    /// <summary>The names TorchSharp (like TensorFlow) gives event files: events.out.tfevents.TIME.HOST.PID.N.</summary>
    public const string EventFilePattern = "events.out.tfevents.*";

    /// <summary>Fields that only order the records (the step is the x axis; the epoch follows from it).</summary>
    static readonly HashSet<string> NotLogged = ["step", "epoch"];

    static readonly HashSet<string> SystemFields = ["images_per_s", "wall_s", "rss_mib", "managed_mib", "seconds", "online_probe_s", "closed_form_fit_s"];
    static readonly HashSet<string> MonitorFields = ["monitor_std", "rank_me", "alignment", "uniformity"];

    readonly TorchSharp.Modules.SummaryWriter writer;

    /// <summary>Starts a new event file in <paramref name="folder"/> (created if missing).</summary>
    public TensorBoardLog(string folder) => writer = torch.utils.tensorboard.SummaryWriter(folder);

    /// <summary>The folder the event files are in.</summary>
    public string Folder => writer.LogDir;

    /// <summary>
    /// The TensorBoard tag of a metrics.jsonl field: group/field, the group being "probe" for the online probe's
    /// scores, "monitor" for the embedding monitors, "system" for throughput, time and memory, and "train" for the
    /// rest (loss, lr, epoch_loss and every scalar the method's step logs).
    /// </summary>
    public static string Tag(string field) =>
        field.StartsWith("online_", StringComparison.Ordinal) && !SystemFields.Contains(field) ? $"probe/{field}"
        : MonitorFields.Contains(field) ? $"monitor/{field}"
        : SystemFields.Contains(field) ? $"system/{field}"
        : $"train/{field}";

    /// <summary>Every numeric field of <paramref name="record"/> (a metrics.jsonl line) but step and epoch, at the record's step.</summary>
    public void Scalars(IReadOnlyDictionary<string, object> record)
    {
        if (!record.TryGetValue("step", out var s) || s is not (int or long))
            throw new ArgumentException("tensorboard: a record needs an integer 'step' field");
        var step = GlobalStep(Convert.ToInt64(s, CultureInfo.InvariantCulture));
        foreach (var (field, value) in record)
        {
            if (NotLogged.Contains(field) || value is bool || value is not IConvertible number || value is string) continue;
            writer.add_scalar(Tag(field), (float)number.ToDouble(CultureInfo.InvariantCulture), step);
        }
    }

    /// <summary>The PNG at <paramref name="pngPath"/> as picture <paramref name="tag"/> at <paramref name="step"/>.</summary>
    public void Picture(string tag, string pngPath, long step) => writer.add_img(tag, pngPath, GlobalStep(step));

    /// <summary>
    /// Cuts every event file in <paramref name="folder"/> back to its leading events of step ≤ <paramref name="step"/>
    /// (a writer appends events in step order), dropping also a last record cut short by a killed process. Returns the
    /// number of bytes removed. Used on resume, as metrics.jsonl is cut back to the checkpoint's step.
    /// </summary>
    public static long TruncateAfter(string folder, long step)
    {
        if (!Directory.Exists(folder)) return 0;
        long removed = 0;
        foreach (var path in Directory.GetFiles(folder, EventFilePattern))
        {
            long kept;
            using (var stream = File.Open(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read))
            {
                kept = LeadingBytesUpTo(stream, step);
                removed += stream.Length - kept;
                if (kept < stream.Length) stream.SetLength(kept);
            }
            if (kept == 0) File.Delete(path); // not even its file-version record was whole
        }
        return removed;
    }

    /// <summary>Deletes the event files in <paramref name="folder"/> (a fresh run's log replaces an earlier run's); returns how many.</summary>
    public static int DeleteEventFiles(string folder)
    {
        if (!Directory.Exists(folder)) return 0;
        var files = Directory.GetFiles(folder, EventFilePattern);
        foreach (var path in files) File.Delete(path);
        return files.Length;
    }

    /// <summary>
    /// The length of the leading whole records of a TFRecord stream whose event has step ≤ <paramref name="step"/>.
    /// A record is a little-endian uint64 data length, a uint32 CRC of it, the data (a serialized Event) and a
    /// uint32 CRC of the data; the CRCs are left to readers.
    /// </summary>
    static long LeadingBytesUpTo(Stream stream, long step)
    {
        const int header = sizeof(ulong) + sizeof(uint);
        using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        long at = 0;
        while (at + header <= stream.Length)
        {
            stream.Position = at;
            var length = reader.ReadUInt64();
            if (length > (ulong)(stream.Length - at - header - sizeof(uint))) break; // cut short
            reader.ReadUInt32();
            Tensorboard.Event e;
            try
            {
                e = Tensorboard.Event.Parser.ParseFrom(reader.ReadBytes((int)length));
            }
            catch (Google.Protobuf.InvalidProtocolBufferException)
            {
                break;
            }
            if (e.Step > step) break;
            at += header + (long)length + sizeof(uint);
        }
        return at;
    }

    /// <summary>TorchSharp's writer takes an int step.</summary>
    static int GlobalStep(long step) => step is >= 0 and <= int.MaxValue
        ? (int)step
        : throw new ArgumentOutOfRangeException(nameof(step), step, "tensorboard: steps must lie in 0 … 2³¹ − 1");
}
