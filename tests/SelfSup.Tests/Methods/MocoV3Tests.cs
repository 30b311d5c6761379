using SelfSup.Encoders;
using SelfSup.Methods;
using SelfSup.Runs;
using SelfSup.Training;
using SelfSup.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Methods;

[Collection(GlobalRngCollection.Name)]
public class MocoV3Tests
{
    static MocoV3 Make(Encoder encoder, Func<Encoder> create, MocoV3Options? options = null) =>
        new(encoder, create, options ?? new MocoV3Options { HiddenDim = 16, ProjectionDim = 8 });

    static (Tensor, Tensor) Views(int seed, int channels = 3, int size = 8, int batch = 4)
    {
        var g = new Generator((ulong)seed);
        return (randn([batch, channels, size, size], generator: g), randn([batch, channels, size, size], generator: g));
    }

    [Fact]
    public void TheLoss_IsTwoTauTimesTheSymmetricInfoNce_OfQueriesAgainstTheOtherViewsKeys()
    {
        manual_seed(0);
        using var moco = Make(new TinyEncoder(channels: 3), () => new TinyEncoder(channels: 3));
        moco.eval(); // running BN statistics, so the pieces below see the same normalisation
        var (a, b) = Views(1);
        using var loss = moco.Step(a, b).Loss;
        using var noGrad = no_grad();
        using var q1 = moco.Predictor.forward(moco.Projector.forward(moco.Encoder.forward(a)));
        using var q2 = moco.Predictor.forward(moco.Projector.forward(moco.Encoder.forward(b)));
        var (k1, k2) = moco.Keys(a, b);
        using var swapped = MocoV3.Loss(q1, q2, k2, k1, 0.2); // pairing each query with its own view's key instead
        using var expected = MocoV3.Loss(q1, q2, k1, k2, 0.2);
        Assert.Equal(expected.item<float>(), loss.item<float>(), 5);
        Assert.NotEqual(swapped.item<float>(), loss.item<float>(), 3);
    }

    [Fact]
    public void Gradients_ReachTheQueryBranch_AndNeverTheKeyEncoder()
    {
        manual_seed(1);
        using var moco = Make(new TinyEncoder(channels: 3), () => new TinyEncoder(channels: 3));
        moco.train();
        var (a, b) = Views(2);
        moco.Step(a, b).Loss.backward();
        foreach (var (name, p) in moco.named_parameters())
        {
            if (name.StartsWith("key_", StringComparison.Ordinal)) Assert.Null(p.grad);
            else Assert.True(p.grad is { } g && g.abs().sum().item<float>() > 0, $"no gradient reached {name}");
        }
    }

    [Fact]
    public void OnAViT_ThePatchProjectionStaysAtItsRandomInit_UnlessAskedOtherwise()
    {
        var options = new VitOptions(InChannels: 3, ImageSize: 8, PatchSize: 4, Dim: 16, Depth: 1, Heads: 2);
        manual_seed(2);
        var vit = new Vit(options);
        using var moco = Make(vit, () => new Vit(options));
        Assert.False(vit.PatchEmbeddingTrainable);
        var (a, b) = Views(3);
        moco.train();
        moco.Step(a, b).Loss.backward();
        Assert.All(vit.named_parameters().Where(p => p.name.StartsWith("patch_embed", StringComparison.Ordinal)), p => Assert.Null(p.parameter.grad));
        var trainable = new Vit(options);
        using var moco2 = Make(trainable, () => new Vit(options), new MocoV3Options { HiddenDim = 16, ProjectionDim = 8, FreezePatchEmbedding = false });
        Assert.True(trainable.PatchEmbeddingTrainable);
    }

    [Theory]
    [InlineData("resnet18", OptimizerKind.Lars, 0.6 * 128 / 256, 1e-6, "1.0")]
    [InlineData("convnet", OptimizerKind.Lars, 0.6 * 128 / 256, 1e-6, "1.0")]
    [InlineData("vit-tiny/p4/d4", OptimizerKind.AdamW, 1.5e-4 * 128 / 256, 0.1, null)]
    public void TheRecipe_IsThePapersResNetOneOnACnn_AndTheViTOneOnAViT(string encoder, OptimizerKind optimizer, double lr, double weightDecay, string? temperature)
    {
        var config = RunSettings.WithRecipe(new RunConfig { Method = "moco-v3", Encoder = encoder, BatchSize = 128, Epochs = 100 });

        Assert.Equal(optimizer, config.Optimizer);
        Assert.Equal(lr, config.LearningRate, 12);
        Assert.Equal(weightDecay, config.WeightDecay, 12);
        Assert.Equal(10, config.WarmupEpochs, 12);
        Assert.Equal(temperature, config.MethodOptions.GetValueOrDefault("temperature"));
    }

    [Fact]
    public void OnACnn_ASetTemperatureOrAnEncoderFromTheRunFile_Wins()
    {
        var typed = new System.Text.Json.Nodes.JsonObject { ["method_options"] = new System.Text.Json.Nodes.JsonObject { ["temperature"] = "0.2" } };
        var set = RunSettings.Resolve(new RunConfig { Method = "moco-v3", Encoder = "resnet18", Epochs = 10 }, null, null, typed);
        var fromFile = RunSettings.Resolve(new RunConfig { Method = "moco-v3", Encoder = "resnet18", Epochs = 10 },
            new System.Text.Json.Nodes.JsonObject { ["encoder"] = "vit-tiny" }, "run.yaml", new System.Text.Json.Nodes.JsonObject());

        Assert.Equal("0.2", set.MethodOptions["temperature"]);
        Assert.Equal(OptimizerKind.Lars, set.Optimizer);
        Assert.Equal(OptimizerKind.AdamW, fromFile.Optimizer);
    }
}
