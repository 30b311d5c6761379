using System.Security.Cryptography;
using System.Text;
using SelfSup.Data;
using SelfSup.Methods;
using SelfSup.Runs;
using SelfSup.Tests.TestSupport;
using SelfSup.Training;
using static TorchSharp.torch;

namespace SelfSup.Tests.Runs;

public sealed class CheckpointIntegrityTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("selfsup-integrity-").FullName;
    readonly string original;

    public CheckpointIntegrityTests()
    {
        original = SmallCheckpointRun.Fit(Path.Combine(root, "run"), maxSteps: 2).LastCheckpointPath;
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    /// <summary>Where each part of the file lies, measured independently of the reader under test.</summary>
    (long HeaderStart, long HeaderEnd, long ModuleEnd, long PayloadEnd) Layout()
    {
        using var method = Pretraining.BuildMethod(SmallCheckpointRun.Config(2)).Method;
        Checkpoint.Load(original, method, optimizer: null);
        var withoutOptimizer = Path.Combine(root, "no-optimizer.ckpt");
        Checkpoint.Save(withoutOptimizer, method, optimizer: null, Checkpoint.ReadState(original));
        using var r = new BinaryReader(File.OpenRead(original), Encoding.UTF8);
        r.ReadString();
        var headerStart = r.BaseStream.Position;
        r.ReadString();
        var headerEnd = r.BaseStream.Position;
        // The same header and module state without the optimizer: [payload][bool false][40-byte trailer].
        var moduleEnd = new FileInfo(withoutOptimizer).Length - 40 - 1;
        return (headerStart, headerEnd, moduleEnd, new FileInfo(original).Length - 40);
    }

    static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    string Copy(string name)
    {
        var path = Path.Combine(root, name);
        File.Copy(original, path);
        return path;
    }

    [Fact]
    public void AnUntouchedCheckpoint_Loads_AndReportsTheSha256OfEverythingBeforeItsTrailer()
    {
        var bytes = File.ReadAllBytes(original);
        Assert.Equal("CKSHA256"u8.ToArray(), bytes[^8..]);
        var digest = SHA256.HashData(bytes.AsSpan(0, bytes.Length - 40));
        Assert.Equal(digest, bytes[^40..^8]);

        using var method = Pretraining.BuildMethod(SmallCheckpointRun.Config(2)).Method;
        var state = Checkpoint.Load(original, method, optimizer: null);
        Assert.Equal(Hex(digest), state.Sha256);
        Assert.Equal(Checkpoint.CurrentFormatVersion, state.FormatVersion);
        Assert.Equal(2, state.Step);
        Assert.Equal(Hex(digest), Checkpoint.Verify(original));
        Assert.Null(Checkpoint.UnverifiedWarning(original, state));

        using var trained = TrainedEncoder.Load(original);
        Assert.Equal(Hex(digest), trained.State.Sha256);
        var a = SmallCheckpointRun.Weights(method);
        var b = SmallCheckpointRun.Weights(trained.Method);
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var (k, v) in a) Assert.Equal(v, b[k]);
    }

    public static TheoryData<string> Parts => ["magic", "header length", "header", "first weight", "middle weight", "optimizer flag", "optimizer state", "recorded digest"];

    long OffsetOf(string part)
    {
        var (headerStart, headerEnd, moduleEnd, payloadEnd) = Layout();
        return part switch
        {
            "magic" => 3,
            "header length" => headerStart,
            "header" => (headerStart + headerEnd) / 2,
            "first weight" => headerEnd + (moduleEnd - headerEnd) / 8,
            "middle weight" => (headerEnd + moduleEnd) / 2,
            "optimizer flag" => moduleEnd,
            "optimizer state" => (moduleEnd + 1 + payloadEnd) / 2,
            "recorded digest" => payloadEnd + 7,
            _ => throw new ArgumentException(part),
        };
    }

    [Theory]
    [MemberData(nameof(Parts))]
    public void AFlippedBit_AnywhereInTheFile_IsAChecksumMismatch_NamingTheFileAndBothDigests(string part)
    {
        var path = Copy($"flipped-{part.Replace(' ', '-')}.ckpt");
        var offset = OffsetOf(part);
        var bytes = File.ReadAllBytes(path);
        var recorded = bytes[^40..^8];
        bytes[offset] ^= 0x01;
        File.WriteAllBytes(path, bytes);
        // What the file records now, and what its contents hash to now, computed here without the reader.
        var expected = Hex(bytes[^40..^8]);
        var found = Hex(SHA256.HashData(bytes.AsSpan(0, bytes.Length - 40)));
        Assert.NotEqual(expected, found);
        // A changed payload leaves the recorded digest as written; a changed digest leaves the payload's hash as it was.
        Assert.Equal(Hex(recorded), part == "recorded digest" ? found : expected);

        using var method = Pretraining.BuildMethod(SmallCheckpointRun.Config(2)).Method;
        using var optimizer = TrainingOptimizer.For(SmallCheckpointRun.Config(2), method.parameters(), method.FixedLearningRateParameters);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, method, optimizer));
        Assert.Contains(path, e.Message);
        Assert.Contains("checksum does not match", e.Message);
        Assert.Contains($"expected SHA-256 {expected}", e.Message);
        Assert.Contains($"found {found}", e.Message);

        var viaEncoder = Assert.Throws<InvalidDataException>(() => TrainedEncoder.Load(path));
        Assert.Contains("checksum does not match", viaEncoder.Message);
        Assert.Throws<InvalidDataException>(() => Checkpoint.Verify(path));
    }

    [Fact]
    public void AFlippedByteInTheMethodName_StopsTheEncoderLoad_AtTheChecksumNotAtTheRegistry()
    {
        var path = Copy("renamed.ckpt");
        var bytes = File.ReadAllBytes(path);
        var at = bytes.AsSpan().IndexOf("\"simclr\""u8) + 4;
        bytes[at] ^= 0x01; // "simclr" → "simblr": no such method
        File.WriteAllBytes(path, bytes);
        Assert.Equal("simblr", Checkpoint.ReadState(path).Config.Method); // the header alone is not verified
        var e = Assert.Throws<InvalidDataException>(() => TrainedEncoder.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("checksum does not match", e.Message);
        Assert.IsType<ArgumentException>(e.InnerException); // the registry's own complaint, kept as the cause
    }

    [Fact]
    public void ACheckpointWithoutItsTrailer_IsRefused_AsTruncated()
    {
        var path = Copy("cut.ckpt");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^3]); // the trailer's magic is cut short
        using var method = Pretraining.BuildMethod(SmallCheckpointRun.Config(2)).Method;
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, method, optimizer: null));
        Assert.Contains(path, e.Message);
        Assert.Contains("checksum does not match", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    /// <summary>Rewrites a checkpoint as format version 1 wrote it: the same header (version 1) and state, no trailer.</summary>
    internal static void WriteAsFormatVersion1(string source, string target)
    {
        using var r = new BinaryReader(File.OpenRead(source), Encoding.UTF8);
        var magic = r.ReadString();
        var header = r.ReadString().Replace("\"format_version\": 2", "\"format_version\": 1");
        Assert.Contains("\"format_version\": 1", header);
        var rest = r.ReadBytes((int)(r.BaseStream.Length - r.BaseStream.Position - 40));
        using var w = new BinaryWriter(File.Create(target), Encoding.UTF8);
        w.Write(magic);
        w.Write(header);
        w.Write(rest);
    }

    [Fact]
    public void AFormatVersion1Checkpoint_LoadsUnverified_WithAWarningLine()
    {
        var path = Path.Combine(root, "v1.ckpt");
        WriteAsFormatVersion1(original, path);
        using var method = Pretraining.BuildMethod(SmallCheckpointRun.Config(2)).Method;
        var state = Checkpoint.Load(path, method, optimizer: null);
        Assert.Equal(1, state.FormatVersion);
        Assert.Null(state.Sha256);
        Assert.Null(Checkpoint.Verify(path));
        var warning = Checkpoint.UnverifiedWarning(path, state);
        Assert.NotNull(warning);
        Assert.Contains(path, warning);
        Assert.Contains("unverified", warning);

        using var reference = Pretraining.BuildMethod(SmallCheckpointRun.Config(2)).Method;
        Checkpoint.Load(original, reference, optimizer: null);
        var a = SmallCheckpointRun.Weights(reference);
        foreach (var (k, v) in SmallCheckpointRun.Weights(method)) Assert.Equal(a[k], v);
    }

    sealed class Warnings : IProgress<TrainProgress>
    {
        public List<string> Lines { get; } = [];
        public void Report(TrainProgress value)
        {
            if (value.Warning is { } w) Lines.Add(w);
        }
    }

    [Fact]
    public void ResumingFromAFormatVersion1Checkpoint_WarnsOnce_AndSavesAVerifiableOne()
    {
        var dir = Path.Combine(root, "legacy");
        var last = SmallCheckpointRun.Fit(dir, maxSteps: 1).LastCheckpointPath;
        WriteAsFormatVersion1(last, last + ".v1");
        File.Move(last + ".v1", last, overwrite: true);
        var warnings = new Warnings();
        SmallCheckpointRun.Fit(dir, maxSteps: 2, resume: true, warnings);
        Assert.Single(warnings.Lines, w => w.Contains(last) && w.Contains("no checksum"));
        Assert.NotNull(Checkpoint.Verify(last));
        Assert.Equal(2, Checkpoint.ReadState(last).Step);
    }
}
