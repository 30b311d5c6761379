using SelfSup.Losses;
using SelfSup.Methods;
using SelfSup.Tests.TestSupport;
using static TorchSharp.torch;

namespace SelfSup.Tests.Methods;

[Collection(GlobalRngCollection.Name)]
public class TripletTests
{
    static Triplet Make(TripletOptions? options = null, int seed = 0)
    {
        manual_seed(seed);
        return new Triplet(new TinyEncoder(channels: 3), options ?? new TripletOptions { ProjectionHiddenDim = 16, ProjectionDim = 8 });
    }

    [Fact]
    public void Step_GivesAFiniteLoss_WhoseGradientReachesTheEncoderAndTheProjector()
    {
        using var method = Make();
        using var g = new Generator(1);
        var views = new[] { randn([6, 3, 8, 8], generator: g), randn([6, 3, 8, 8], generator: g) };
        method.train();
        var result = method.Step(views);
        Assert.True(float.IsFinite(result.Loss.item<float>()) && result.Loss.item<float>() > 0, $"loss {result.Loss.item<float>()}");
        result.Loss.backward();
        foreach (var (name, p) in method.named_parameters())
        {
            Assert.NotNull(p.grad);
            Assert.True(p.grad!.abs().sum().item<float>() > 0, $"no gradient reached {name}");
        }
        Assert.Contains("embedding_std", result.Scalars.Keys);
    }

    [Theory]
    [InlineData(TripletMining.BatchAll)]
    [InlineData(TripletMining.BatchHard)]
    public void IdenticalViews_GiveZeroLossWithoutMargin_ButShuffledPairsDoNot(TripletMining mining)
    {
        // With the views of each image identical, each view's positive is at distance 0 from it, so no negative can
        // be nearer and the loss at α = 0 is 0. Pairing views of different images instead puts a view's true twin
        // among its negatives, at distance 0, so every anchor is violated (semi-hard mining would pick a farther
        // negative instead, giving 0 at α = 0).
        using var method = Make(new TripletOptions { ProjectionHiddenDim = 16, ProjectionDim = 8, Margin = 0, Mining = mining });
        method.eval(); // fixed BN statistics: equal inputs give equal embeddings
        using var g = new Generator(2);
        using var x = randn([6, 3, 8, 8], generator: g);
        using var same = method.Step(x, x.clone()).Loss;
        Assert.True(same.item<float>() < 1e-3f, $"{mining}: identical views give loss {same.item<float>()}");
        using var shuffled = x.index(tensor(new long[] { 1, 2, 3, 4, 5, 0 }));
        using var wrong = method.Step(x, shuffled).Loss;
        Assert.True(wrong.item<float>() > 0.05f, $"{mining}: mismatched views give loss {wrong.item<float>()}");
    }

    [Fact]
    public void Loss_IsTheTripletLossOfTheProjections_WithTheImageIndexAsLabel()
    {
        using var method = Make(new TripletOptions { ProjectionHiddenDim = 16, ProjectionDim = 8, Mining = TripletMining.SemiHard, Margin = 0.5 });
        method.eval();
        using var g = new Generator(3);
        using var a = randn([5, 3, 8, 8], generator: g);
        using var b = randn([5, 3, 8, 8], generator: g);
        using var loss = method.Step(a, b).Loss;
        // The same loss from the embeddings, each view of image i labelled i.
        var projector = method.named_children().Single(c => c.name == "projector").module as SelfSup.Heads.MlpHead;
        using var z = projector!.forward(method.Encoder.forward(cat([a, b], 0)));
        using var labels = tensor(new long[] { 0, 1, 2, 3, 4, 0, 1, 2, 3, 4 });
        using var expected = TripletLoss.Compute(z, labels, new TripletLossOptions { Mining = TripletMining.SemiHard, Margin = 0.5 });
        Assert.True(expected.item<float>() > 0);
        Assert.Equal(expected.item<float>(), loss.item<float>(), 6);
    }

    [Fact]
    public void Options_BindFromStrings_IncludingTheMining()
    {
        var opts = OptionBinder.Bind(new TripletOptions(), new Dictionary<string, string> { ["mining"] = "batch-hard", ["margin"] = "0.3" }, "triplet");
        Assert.Equal(TripletMining.BatchHard, opts.Mining);
        Assert.Equal(0.3, opts.Margin);
        Assert.Equal(0.2, new TripletOptions().Margin);
        Assert.Equal(TripletMining.SemiHard, new TripletOptions().Mining); // FaceNet's, which does not collapse (docs/methods.md)
    }

    [Fact]
    public void Registry_ListsTriplet_AsContrastive()
    {
        var info = MethodRegistry.Get("triplet");
        Assert.Equal("contrastive", info.Family);
        Assert.Contains("Schroff", info.Paper);
        Assert.Contains("borrowed", info.Recipe.Source);
    }
}
