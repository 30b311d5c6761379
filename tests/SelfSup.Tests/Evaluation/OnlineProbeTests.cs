using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Encoders;
using SelfSup.Evaluation;
using SelfSup.Tests.TestSupport;
using SelfSup.Training;
using static TorchSharp.torch;

namespace SelfSup.Tests.Evaluation;

public sealed class OnlineProbeTests
{
    /// <summary>Images whose class is their brightness (dark 0, bright 1), with pixel noise: easy for k-NN on mean pixels.</summary>
    internal static ImageDataset Brightness(int n, int seed)
    {
        using var g = new Generator((ulong)seed);
        var labels = Enumerable.Range(0, n).Select(i => (long)(i % 2)).ToArray();
        using var level = tensor(labels.Select(l => l == 0 ? 60f : 190f).ToArray()).view(n, 1, 1, 1);
        var images = randint(-40, 40, [n, 1, 8, 8], generator: g).to(ScalarType.Float32).add(level).clamp(0, 255).to(ScalarType.Byte);
        return new ImageDataset("brightness", images, labels);
    }

    /// <summary>Records whether autograd was on during each forward pass.</summary>
    sealed class GradSpy : Encoder
    {
        readonly Encoder inner;

        public GradSpy(Encoder inner) : base(nameof(GradSpy))
        {
            this.inner = inner;
            RegisterComponents();
        }

        public List<bool> GradEnabled { get; } = [];
        public override int EmbeddingDim => inner.EmbeddingDim;
        public override Tensor ForwardFeatures(Tensor x)
        {
            GradEnabled.Add(is_grad_enabled());
            return inner.ForwardFeatures(x);
        }
        public override Tensor Pool(Tensor features) => inner.Pool(features);
    }

    [Fact]
    public void Probe_SeparatesClassesThatAreEasyForItsFeatures()
    {
        manual_seed(0);
        using var encoder = new TinyEncoder(channels: 1);
        using var probe = new OnlineProbe(Brightness(200, 1), Brightness(100, 2), new ChannelStats([0.5f], [0.25f]), k: 5);
        var result = probe.Evaluate(encoder, CPU);
        Assert.True(result.KnnTop1 > 90, $"top-1 {result.KnnTop1}");
        Assert.Equal(100.0, result.KnnTop5); // two classes: the truth is always among the top 2
    }

    [Fact]
    public void Probe_RunsWithoutGradients_AndLeavesTheEncoderUntouched()
    {
        manual_seed(0);
        using var tiny = new TinyEncoder(channels: 1);
        var spy = new GradSpy(tiny);
        spy.train();
        var before = tiny.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        using var probe = new OnlineProbe(Brightness(64, 1), Brightness(32, 2), new ChannelStats([0.5f], [0.25f]));
        probe.Evaluate(spy, CPU);
        Assert.NotEmpty(spy.GradEnabled);
        Assert.All(spy.GradEnabled, Assert.False);
        Assert.True(spy.training && tiny.training);
        foreach (var (k, v) in tiny.state_dict()) Assert.True(v.equal(before[k]).all().item<bool>(), $"{k} changed");
        Assert.All(tiny.parameters(), p => Assert.Null(p.grad));
    }

    [Fact]
    public void Probe_WithoutLabels_NamesTheDataset()
    {
        using var unlabeled = new ImageDataset("nolabels", zeros([4, 1, 8, 8], ScalarType.Byte), null);
        using var labeled = Brightness(4, 1);
        var e = Assert.Throws<ArgumentException>(() => new OnlineProbe(unlabeled, labeled, new ChannelStats([0.5f], [0.25f])));
        Assert.Contains("nolabels", e.Message);
    }
}
