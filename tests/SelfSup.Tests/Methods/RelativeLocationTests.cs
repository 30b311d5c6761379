using SelfSup.Augment;
using SelfSup.Methods;
using SelfSup.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Methods;

[Collection(GlobalRngCollection.Name)]
public class RelativeLocationTests
{
    static long[] Longs(Tensor t) => t.contiguous().data<long>().ToArray();

    static RelativeLocation Make(int imageSize, RelativeLocationOptions options, int channels = 3)
    {
        manual_seed(0);
        return new RelativeLocation(new TinyEncoder(channels, width: 6), imageSize, options);
    }

    [Fact]
    public void Patches_SitOnTheGridCellOfTheirLabel_ComputedByHand()
    {
        // 8 px image, 2 px patches, 1 px gaps, no jitter: the grid fills the image, cells start at 0, 3 and 6.
        using var method = Make(8, new RelativeLocationOptions { PatchFraction = 0.25, GapFraction = 0.5, JitterFraction = 0 }, channels: 1);
        (long Top, long Left)[] byHand = [(0, 0), (0, 3), (0, 6), (3, 0), (3, 6), (6, 0), (6, 3), (6, 6)];
        using var image = arange(64, ScalarType.Float32).view(1, 1, 8, 8).expand(64, 1, 8, 8).contiguous(); // pixel (r, c) = 8r + c

        var p = method.Place(64, new Generator(2));
        using var neighbours = RelativeLocation.Cut(image, p.NeighbourTop, p.NeighbourLeft, 2); // [64, 1, 2, 2]
        using var centres = RelativeLocation.Cut(image, p.CentreTop, p.CentreLeft, 2);         // [64, 1, 2, 2]

        var labels = Longs(p.Labels);
        Assert.Equal(8, labels.Distinct().Count());
        for (var i = 0; i < 64; i++)
        {
            var (top, left) = byHand[labels[i]];
            Assert.Equal((top, left), (Longs(p.NeighbourTop)[i], Longs(p.NeighbourLeft)[i]));
            var corner = 8 * top + left;
            Assert.Equal(new float[] { corner, corner + 1, corner + 8, corner + 9 }, neighbours[i].contiguous().data<float>().ToArray());
            Assert.Equal(new float[] { 27, 28, 35, 36 }, centres[i].contiguous().data<float>().ToArray()); // centre cell at (3, 3)
        }
    }

    [Fact]
    public void Jitter_StaysWithinItsBound_TheGapSurvivesIt_AndPatchesStayInside()
    {
        // 32 px: 8 px patches, 2 px gap, ±1 px jitter; cells 10 px apart; the 28 px grid starts at 1…3.
        using var method = Make(32, new RelativeLocationOptions());
        Assert.Equal((8, 2, 1), (method.PatchSize, method.Gap, method.Jitter));

        var p = method.Place(512, new Generator(5));

        var (labels, gt, gl) = (Longs(p.Labels), Longs(p.GridTop), Longs(p.GridLeft));
        var (ct, cl, nt, nl) = (Longs(p.CentreTop), Longs(p.CentreLeft), Longs(p.NeighbourTop), Longs(p.NeighbourLeft));
        var shifts = new HashSet<long>();
        for (var i = 0; i < 512; i++)
        {
            Assert.InRange(gt[i], 1, 3);
            Assert.InRange(gl[i], 1, 3);
            var (row, col) = RelativeLocation.Cell((int)labels[i]);
            long[] jitters = [ct[i] - gt[i] - 10, cl[i] - gl[i] - 10, nt[i] - gt[i] - 10 * row, nl[i] - gl[i] - 10 * col];
            Assert.All(jitters, j => Assert.InRange(j, -1, 1));
            shifts.UnionWith(jitters);
            Assert.All(new[] { ct[i], cl[i], nt[i], nl[i] }, x => Assert.InRange(x, 0, 32 - 8));
            // Side neighbours never touch the centre: at least gap − 2·jitter = 0 px between them.
            if (row == 1) Assert.True(Math.Abs(nl[i] - cl[i]) - 8 >= 0);
            if (col == 1) Assert.True(Math.Abs(nt[i] - ct[i]) - 8 >= 0);
        }
        Assert.Equal(new long[] { -1, 0, 1 }, shifts.Order());
    }

    [Fact]
    public void ColorDropping_KeepsOneChannelOfEachPatch_AndFillsTheOthersWithFaintNoise()
    {
        using var patches = full([64, 3, 4, 4], 5f);

        using var dropped = ColorDropping.Apply(patches, new Generator(1), noiseStd: 0.01);

        var kept = dropped.eq(5f).all(2).all(2); // [64, 3]: the channel is untouched
        Assert.True(kept.sum(1).eq(1).all().item<bool>());
        Assert.Equal(3, kept.to(ScalarType.Int64).argmax(1).unique().Item1.shape[0]); // every channel is kept somewhere
        using var noise = dropped.masked_select(kept.logical_not().view(64, 3, 1, 1).expand(64, 3, 4, 4));
        Assert.Equal(64 * 2 * 16, noise.shape[0]);
        Assert.InRange(noise.std().item<float>(), 0.008f, 0.012f);
        Assert.True(noise.abs().max().item<float>() < 0.1f);
        using var mean = ColorDropping.Apply(patches, new Generator(1));
        Assert.Equal(64 * 2 * 16, mean.eq(0).sum().item<long>()); // no noise: the dropped channels sit at the mean
        using var gray = ones(2, 1, 4, 4);
        Assert.True(ColorDropping.Apply(gray, new Generator(1), 0.01).allclose(gray, 0, 0));
    }

    [Fact]
    public void Step_LearnsThroughEncoderAndHead_AndLogsItsAccuracy()
    {
        // 16 px: 4 px patches, 1 px gaps, ±1 px jitter, the whole side.
        using var method = Make(16, new RelativeLocationOptions { HeadHiddenDim = 5 });
        Assert.Equal((4, 1, 1), (method.PatchSize, method.Gap, method.Jitter));
        using var x = randn(6, 3, 16, 16);

        var result = method.Step(x);
        result.Loss.backward();

        Assert.InRange(result.Loss.item<float>(), 1f, 4f); // ≈ ln 8 at initialisation
        Assert.All(method.parameters(), p => Assert.True(p.grad is not null && p.grad.abs().sum().item<float>() > 0));
        Assert.Equal(0f, result.Scalars["pretext_accuracy"].item<float>() * 6 % 1, 4);
        Assert.True(result.Scalars["embedding_std"].item<float>() > 0);
    }

    [Fact]
    public void PretextScore_ScoresOnePairPerImage_FromTheGivenGenerator_AndRestoresTrainingMode()
    {
        using var method = Make(16, new RelativeLocationOptions());
        using var x = randn(10, 3, 16, 16);

        var a = method.PretextScore(x, new Generator(3));
        var b = method.PretextScore(x, new Generator(3));

        Assert.Equal(10, a.Total);
        Assert.InRange(a.Correct, 0, 10);
        Assert.Equal(a, b);
        Assert.True(method.training);
        Assert.Equal(0.125, method.PretextChance);
    }

    [Fact]
    public void Options_ThatDoNotFitTheImage_AreRejectedByName()
    {
        var e = Assert.Throws<ArgumentException>(() => Make(16, new RelativeLocationOptions { GapFraction = 0.5 }));
        Assert.Contains("3·patch + 2·gap + 2·jitter ≤ 16", e.Message);
    }
}
