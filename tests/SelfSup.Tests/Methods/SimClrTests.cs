using SelfSup.Augment;
using SelfSup.Methods;
using SelfSup.Tests.TestSupport;
using static TorchSharp.torch;

namespace SelfSup.Tests.Methods;

public class SimClrTests
{
    static SimClr Make(int seed = 0)
    {
        manual_seed(seed);
        return new SimClr(new TinyEncoder(channels: 3), new SimClrOptions { ProjectionHiddenDim = 16, ProjectionDim = 8 });
    }

    [Fact]
    public void Gradients_ReachTheEncoderAndTheProjector()
    {
        using var method = Make();
        using var g = new Generator(1);
        var views = new[] { randn([6, 3, 8, 8], generator: g), randn([6, 3, 8, 8], generator: g) };
        var result = method.TrainingStep(views);
        result.Loss.backward();
        foreach (var (name, p) in method.named_parameters())
        {
            Assert.NotNull(p.grad);
            Assert.True(p.grad!.abs().sum().item<float>() > 0, $"no gradient reached {name}");
        }
        Assert.Contains("embedding_std", result.Scalars.Keys);
    }

    [Fact]
    public void Loss_IsSymmetricInTheTwoViews()
    {
        using var method = Make();
        using var g = new Generator(2);
        using var a = randn([6, 3, 8, 8], generator: g);
        using var b = randn([6, 3, 8, 8], generator: g);
        method.eval(); // fixed BN statistics so both calls see the same normalisation
        using var ab = method.TrainingStep([a, b]).Loss;
        using var ba = method.TrainingStep([b, a]).Loss;
        Assert.Equal(ab.item<float>(), ba.item<float>(), 5);
    }

    [Fact]
    public void Options_BindFromStrings_AndRejectUnknownKeys()
    {
        var opts = OptionBinder.Bind(new SimClrOptions(), new Dictionary<string, string> { ["temperature"] = "0.2" }, "simclr");
        Assert.Equal(0.2, opts.Temperature);
        var e = Assert.Throws<ArgumentException>(() => OptionBinder.Bind(new SimClrOptions(), new Dictionary<string, string> { ["temprature"] = "0.2" }, "simclr"));
        Assert.Contains("temprature", e.Message);
    }

    [Fact]
    public void Registry_ListsSimClr()
    {
        var info = MethodRegistry.Get("simclr");
        Assert.Equal("contrastive", info.Family);
        Assert.Contains("Chen", info.Paper);
        Assert.Contains("simclr", Assert.Throws<ArgumentException>(() => MethodRegistry.Get("nope")).Message);
    }
}
