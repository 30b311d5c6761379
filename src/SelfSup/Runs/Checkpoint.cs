using System.Text;
using System.Text.Json;
using SelfSup.Methods;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Runs;

/// <summary>Where a run stands: enough to continue it exactly, or to rebuild its encoder.</summary>
public sealed record CheckpointState
{
    public int FormatVersion { get; init; } = 1;
    /// <summary>Optimizer steps completed.</summary>
    public long Step { get; init; }
    public long TotalSteps { get; init; }
    public required RunConfig Config { get; init; }
    /// <summary>State of the augmentation generator (CPU) after <see cref="Step"/> steps.</summary>
    public byte[] AugmentRng { get; init; } = [];
    /// <summary>libtorch's default CPU generator (dropout, drop-path, masks drawn inside methods).</summary>
    public byte[] TorchRng { get; init; } = [];
    /// <summary>A text method's tokenizer as <see cref="Text.ITokenizer.Save"/> wrote it (<see cref="Text.TextPipeline.SaveToBytes"/>); empty for image methods.</summary>
    public byte[] Tokenizer { get; init; } = [];
}

/// <summary>
/// One file per checkpoint: magic, JSON header (<see cref="CheckpointState"/>), the method's module state, the
/// optimizer state. Written to a temporary file and renamed into place, so a crash never leaves a half-written
/// file under a checkpoint's name.
/// </summary>
public static class Checkpoint
{
    const string Magic = "SELFSUP-CKPT";

    public static void Save(string path, SslMethod method, TrainingOptimizer? optimizer, CheckpointState state)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var tmp = path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write))
        using (var w = new BinaryWriter(fs, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(JsonSerializer.Serialize(state, RunConfig.Json));
            method.save(w);
            w.Write(optimizer is not null);
            optimizer?.Save(w);
            w.Flush();
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Reads only the header (fast: for rebuilding the method before loading its weights).</summary>
    public static CheckpointState ReadState(string path)
    {
        using var r = Open(path, out var state);
        return state;
    }

    /// <summary>Loads the module (and optimizer, when given and present) state saved by <see cref="Save"/>.</summary>
    public static CheckpointState Load(string path, SslMethod method, TrainingOptimizer? optimizer)
    {
        using var r = Open(path, out var state);
        try
        {
            method.load(r, strict: true);
            if (r.ReadBoolean() && optimizer is not null) optimizer.Load(r);
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: checkpoint weights do not match method '{state.Config.Method}' with encoder '{state.Config.Encoder}' ({e.Message})", e);
        }
        return state;
    }

    static BinaryReader Open(string path, out CheckpointState state)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: checkpoint not found", path);
        var r = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
        try
        {
            if (r.ReadString() != Magic) throw new InvalidDataException($"{path}: not a SelfSup checkpoint (expected header '{Magic}')");
            state = JsonSerializer.Deserialize<CheckpointState>(r.ReadString(), RunConfig.Json)
                ?? throw new InvalidDataException($"{path}: empty checkpoint header");
            return r;
        }
        catch (Exception e) when (e is EndOfStreamException or JsonException or IOException)
        {
            r.Dispose();
            throw new InvalidDataException($"{path}: corrupt or truncated checkpoint ({e.Message})", e);
        }
        catch
        {
            r.Dispose();
            throw;
        }
    }

    public static byte[] GeneratorState(Generator g)
    {
        using var s = g.get_state();
        return s.data<byte>().ToArray();
    }

    public static void RestoreGenerator(Generator g, byte[] state)
    {
        if (state.Length == 0) return;
        using var s = tensor(state, ScalarType.Byte);
        g.set_state(s);
    }
}
