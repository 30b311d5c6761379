using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using SelfSup.Methods;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Runs;

/// <summary>Where a run stands: enough to continue it exactly, or to rebuild its encoder.</summary>
public sealed record CheckpointState
{
    /// <summary>The file layout: 1 had no checksum; 2 ends with a SHA-256 trailer (see <see cref="Checkpoint"/>).</summary>
    public int FormatVersion { get; init; } = Checkpoint.CurrentFormatVersion;
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
    /// <summary>
    /// The SHA-256 (lower-case hex) of the file's contents, verified while loading (<see cref="Checkpoint.Load"/>);
    /// null when only the header was read (<see cref="Checkpoint.ReadState"/>) or the file predates checksums
    /// (format version 1). Not part of the saved header.
    /// </summary>
    [JsonIgnore] public string? Sha256 { get; init; }
}

/// <summary>
/// One file per checkpoint: magic, JSON header (<see cref="CheckpointState"/>), the method's module state, the
/// optimizer state, then a fixed 40-byte trailer: the SHA-256 of everything before it and the 8 bytes "CKSHA256".
/// Written to a temporary file, flushed to disk and renamed into place, so a crash or a full disk never leaves a
/// half-written file under a checkpoint's name. Loading hashes the file in the same pass that reads it and throws an
/// <see cref="InvalidDataException"/> naming the file, the recorded and the computed digest when they differ.
/// Files of format version 1 (no trailer) still load, unverified: <see cref="CheckpointState.Sha256"/> is null and
/// <see cref="UnverifiedWarning"/> gives the line to show.
/// </summary>
public static class Checkpoint
{
    /// <summary>The format <see cref="Save"/> writes: 2 added the checksum trailer.</summary>
    public const int CurrentFormatVersion = 2;
    internal const string Magic = "SELFSUP-CKPT";
    internal const int DigestLength = 32;
    /// <summary>The SHA-256 and <see cref="TrailerMagic"/> that end every file of format version 2 and later.</summary>
    internal const int TrailerLength = DigestLength + 8;
    internal static ReadOnlySpan<byte> TrailerMagic => "CKSHA256"u8;

    public static void Save(string path, SslMethod method, TrainingOptimizer? optimizer, CheckpointState state) =>
        SaveThrough(path, method, optimizer, state, tmp => new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16));

    /// <summary>
    /// <see cref="Save"/> through the stream <paramref name="create"/> opens for the temporary file (a seam for storage
    /// faults). A failed write removes the temporary file and leaves the previous checkpoint at <paramref name="path"/> as it was.
    /// </summary>
    internal static void SaveThrough(string path, SslMethod method, TrainingOptimizer? optimizer, CheckpointState state, Func<string, Stream> create)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var tmp = path + ".tmp";
        try
        {
            using (var file = create(tmp))
            {
                byte[] digest;
                using (var hashed = Sha256Stream.ForWriting(file))
                using (var w = new BinaryWriter(hashed, Encoding.UTF8, leaveOpen: true))
                {
                    w.Write(Magic);
                    w.Write(JsonSerializer.Serialize(state with { FormatVersion = CurrentFormatVersion }, RunConfig.Json));
                    method.save(w);
                    w.Write(optimizer is not null);
                    optimizer?.Save(w);
                    w.Flush();
                    digest = hashed.Digest();
                }
                file.Write(digest);
                file.Write(TrailerMagic);
                file.Flush();
                if (file is FileStream fs) fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(tmp);
            var kept = File.Exists(path) ? "the previous checkpoint there is unchanged" : "no checkpoint was written";
            var message = $"{path}: writing the checkpoint failed ({e.Message}); {kept}";
            throw e is UnauthorizedAccessException ? new UnauthorizedAccessException(message, e) : new IOException(message, e);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The failure being reported matters more than a leftover temporary file.
        }
    }

    /// <summary>Reads only the header (fast: for rebuilding the method before loading its weights). Nothing is verified.</summary>
    public static CheckpointState ReadState(string path)
    {
        using var file = CheckpointReader.Open(path);
        return file.State;
    }

    /// <summary>
    /// Loads the module (and optimizer, when given and present) state saved by <see cref="Save"/>, verifying the
    /// checksum over the whole file. When it does not match, the weights already read are garbage: the exception says
    /// so and the method (and optimizer) must be discarded.
    /// </summary>
    public static CheckpointState Load(string path, SslMethod method, TrainingOptimizer? optimizer)
    {
        using var file = CheckpointReader.Open(path);
        file.ReadWeights(method, optimizer);
        return file.Finish();
    }

    /// <summary>
    /// Builds a method from the checkpoint's header with <paramref name="build"/> and loads its weights in one verified
    /// pass (the optimizer state is hashed, not loaded). When building or loading fails and the checksum does not match,
    /// the error says the file is corrupt; on any failure the method built is disposed.
    /// </summary>
    public static (T Method, CheckpointState State) LoadMethod<T>(string path, Func<CheckpointState, T> build) where T : SslMethod
    {
        using var file = CheckpointReader.Open(path);
        T method;
        try
        {
            method = build(file.State);
        }
        catch (Exception e)
        {
            file.ThrowIfChecksumFails(e);
            throw;
        }
        try
        {
            // A float64 run's weights load in float64 and are used in float32, as every evaluation feeds float32 images.
            var precision = Trainer.PrecisionOf(file.State.Config);
            if (precision != ScalarType.Float32) method.to(precision);
            file.ReadWeights(method, optimizer: null);
            if (precision != ScalarType.Float32) method.to(ScalarType.Float32);
            return (method, file.Finish());
        }
        catch
        {
            method.Dispose();
            throw;
        }
    }

    /// <summary>Reads the whole file and checks its checksum; returns the digest (hex), or null for a format-1 file that has none.</summary>
    public static string? Verify(string path)
    {
        using var file = CheckpointReader.Open(path);
        return file.Finish().Sha256;
    }

    /// <summary>The line to show when <paramref name="state"/> was loaded without a checksum to verify (format version 1); null otherwise.</summary>
    public static string? UnverifiedWarning(string path, CheckpointState state) => state.Sha256 is null
        ? $"{path}: format version {state.FormatVersion} has no checksum, so it was loaded unverified; the next checkpoint saved from it carries one"
        : null;

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
