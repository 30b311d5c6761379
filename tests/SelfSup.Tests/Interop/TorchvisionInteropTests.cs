using System.Diagnostics;
using SelfSup.Encoders;
using SelfSup.Interop;
using SelfSup.Tests.Encoders;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Interop;

/// <summary>
/// A live round trip with Debian's python3-torch and python3-torchvision (Fixtures/torchvision_interop.py): our
/// ResNet-18 (CIFAR stem, width 64, the only width torchvision's ResNet builds) exported and loaded strictly into
/// torchvision, and a torchvision ResNet-18 loaded here, each giving the other's embeddings.
/// </summary>
public sealed class TorchvisionInteropTests : IDisposable
{
    const string Python = "/usr/bin/python3";
    const double Tolerance = 1e-4;
    readonly string dir = Directory.CreateTempSubdirectory("selfsup-torchvision-").FullName;

    public TorchvisionInteropTests() => TorchRuntime.Initialize();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void ResNet18Weights_GiveTheSameEmbeddings_InTorchvisionAndHere_BothWays()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var ours = ResNet.ResNet18(new ResNetOptions(InChannels: 3, Width: 64, Stem: ResNetStem.Cifar));
        RandomiseBatchNorm(ours);
        ours.eval();
        var x = randn(4, 3, 32, 32, generator: new Generator(9)); // [B, C, H, W]
        NpyWriter.WriteTensor(Path.Combine(dir, "inputs.npy"), x);
        EncoderWeights.Export(ours, Path.Combine(dir, "ours.safetensors"), WeightFormat.Safetensors);
        EncoderWeights.Export(ours, Path.Combine(dir, "ours.pt"), WeightFormat.PyTorch);

        RunScript();

        // (a) torchvision with our weights embeds as we do.
        var mine = ours.call(x); // [B, 512]
        foreach (var file in new[] { "ours.safetensors.npy", "ours.pt.npy" })
            AssertMaxAbs(mine, NpyReader.ReadTensor(Path.Combine(dir, file)), $"torchvision with {file[..^4]}");

        // (b) torchvision's weights here embed as torchvision does.
        var theirs = NpyReader.ReadTensor(Path.Combine(dir, "torchvision.npy"));
        foreach (var file in new[] { "torchvision.pt", "torchvision.safetensors" })
        {
            manual_seed(4);
            using var loaded = ResNet.ResNet18(new ResNetOptions(InChannels: 3, Width: 64, Stem: ResNetStem.Cifar));
            var import = EncoderWeights.Import(loaded, Path.Combine(dir, file));
            Assert.Equal(120, import.Loaded);
            loaded.eval();
            AssertMaxAbs(theirs, loaded.call(x), $"our ResNet with {file}");
            Assert.Equal(5L, loaded.state_dict()["layer4.1.bn2.num_batches_tracked"].item<long>());
        }
    }

    /// <summary>BN statistics and affine parameters away from their defaults, so the test sees whether they travel.</summary>
    static void RandomiseBatchNorm(ResNet model)
    {
        using var noGrad = no_grad();
        foreach (var (name, tensor) in model.state_dict())
        {
            if (name.EndsWith("running_mean", StringComparison.Ordinal)) tensor.uniform_(-0.2, 0.2);
            else if (name.EndsWith("running_var", StringComparison.Ordinal)) tensor.uniform_(0.5, 1.5);
            else if (name.EndsWith("num_batches_tracked", StringComparison.Ordinal)) tensor.fill_(3);
            else if (name.Contains("bn", StringComparison.Ordinal) || name.Contains("downsample.1", StringComparison.Ordinal))
                tensor.uniform_(name.EndsWith("weight", StringComparison.Ordinal) ? 0.5 : -0.2, name.EndsWith("weight", StringComparison.Ordinal) ? 1.5 : 0.2);
        }
    }

    static void AssertMaxAbs(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        var scale = Math.Max(1.0, expected.abs().max().item<float>());
        var diff = (expected - actual).abs().max().item<float>();
        Assert.True(diff <= Tolerance * scale, $"{what}: max |difference| {diff:G3} > {Tolerance} × {scale:G3}");
    }

    void RunScript()
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Fixtures", "torchvision_interop.py");
        Assert.True(File.Exists(Python), $"{Python} not found: install Debian's python3-torch and python3-torchvision (scripts/setup-test-data.sh)");
        var start = new ProcessStartInfo(Python, [script, dir]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(120_000), "torchvision_interop.py did not finish in 120 s");
        Assert.True(process.ExitCode == 0, $"torchvision_interop.py failed ({process.ExitCode}): {stdout}{stderr.Result}");
    }
}
