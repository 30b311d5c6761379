using SelfSup.Encoders;
using SelfSup.Methods;
using SelfSup.Tests.TestSupport;
using static TorchSharp.torch;

namespace SelfSup.Tests.Methods;

[Collection(GlobalRngCollection.Name)]
public class CpcTests
{
    static Cpc Make(int channels = 3, CpcOptions? options = null)
    {
        manual_seed(0);
        return new Cpc(new TinyEncoder(channels, width: 6), imageSize: 16, channels, options ?? new CpcOptions { ContextDim = 8, Steps = 3 });
    }

    [Fact]
    public void Defaults_CutA16PixelImage_IntoASevenBySevenGridOf4PixelPatches()
    {
        using var method = Make();
        Assert.Equal(4, method.PatchSize);
        Assert.Equal(7, method.Grid);
    }

    [Fact]
    public void Gradients_ReachTheEncoder_TheContextNetwork_AndEveryStepsPredictor()
    {
        using var method = Make();
        method.train();
        using var x = randn([4, 3, 16, 16], generator: new Generator(1));
        var result = method.Step(x);
        Assert.True(float.IsFinite(result.Loss.item<float>()));
        result.Loss.backward();
        foreach (var (name, p) in method.named_parameters())
        {
            Assert.NotNull(p.grad);
            Assert.True(p.grad!.abs().sum().item<float>() > 0, $"no gradient reached {name}");
        }
        Assert.Contains("cpc_accuracy", result.Scalars.Keys);
    }

    [Fact]
    public void ContextAtRowT_NeverSeesRowsBelowT_NorOtherColumns()
    {
        using var method = Make();
        using var g = new Generator(2);
        using var z = randn([2, 7, 5, 6], generator: g);                         // [B, G_h, G_w, D], rows top to bottom
        using var changed = z.clone();
        using (no_grad()) changed.narrow(1, 3, 4).narrow(2, 1, 1).add_(randn([2, 4, 1, 6], generator: g)); // rows 3…6 of column 1
        using var c = method.Context(z);                                         // [2, 7, 5, 8]
        using var c2 = method.Context(changed);
        Assert.Equal(new long[] { 2, 7, 5, 8 }, c.shape);
        using var diff = (c - c2).abs();
        Assert.Equal(0f, diff.narrow(1, 0, 3).max().item<float>());              // rows above the change
        Assert.Equal(0f, diff.narrow(2, 0, 1).max().item<float>());              // other columns
        Assert.Equal(0f, diff.narrow(2, 2, 3).max().item<float>());
        Assert.True(diff.narrow(1, 3, 1).narrow(2, 1, 1).max().item<float>() > 1e-4, "the context at the changed row did not change");
    }

    [Fact]
    public void Representation_IsTheMeanPatchEmbedding_OfTheTrainedPatchPath()
    {
        using var method = Make(channels: 1);
        method.eval();
        Assert.IsType<PatchGridEncoder>(method.Representation);
        using var x = randn([2, 1, 16, 16], generator: new Generator(3));
        using var features = method.Representation.forward(x);                    // [2, 6]
        var patches = new List<Tensor>();
        for (int i = 0; i < 7; i++)
            for (int j = 0; j < 7; j++)
                patches.Add(method.Encoder.forward(x.narrow(2, 2 * i, 4).narrow(3, 2 * j, 4))); // [2, 6]
        using var expected = stack(patches).mean([0L]);
        Assert.True((expected - features).abs().max().item<float>() < 1e-5);
        Assert.Equal(method.Encoder.EmbeddingDim, method.Representation.EmbeddingDim);
    }

    [Fact]
    public void ColourDropping_KeepsExactlyOneChannelOfEachPatch()
    {
        using var method = Make();
        using var x = ones(2, 3, 16, 16);
        using var patches = method.Representation is PatchGridEncoder grid ? grid.Cut(x) : throw new InvalidOperationException();
        using var dropped = Cpc.DropColors(patches);                              // [98, 3, 4, 4]
        using var kept = dropped.amax([2L, 3L]).sum(1);                          // [98]: channels left on per patch
        Assert.Equal(98, kept.eq(1).sum().item<long>());
        using var seen = dropped.amax([0L, 2L, 3L]);                             // every channel is kept somewhere
        Assert.Equal(3, seen.eq(1).sum().item<long>());
    }

    [Fact]
    public void Steps_ThatReachPastTheGrid_AreAnErrorNamingTheField()
    {
        var e = Assert.Throws<ArgumentException>(() => Make(options: new CpcOptions { PatchSize = 8, PatchStride = 4, Steps = 3 }));
        Assert.Contains("cpc.steps", e.Message);
        Assert.Contains("3 × 3 grid", e.Message);
    }
}
