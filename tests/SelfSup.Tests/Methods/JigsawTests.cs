using SelfSup.Augment;
using SelfSup.Methods;
using SelfSup.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Methods;

[Collection(GlobalRngCollection.Name)]
public class JigsawTests
{
    static long[] Longs(Tensor t) => t.contiguous().data<long>().ToArray();

    static Jigsaw Make(int imageSize, JigsawOptions options, int channels = 3)
    {
        manual_seed(0);
        return new Jigsaw(new TinyEncoder(channels, width: 6), imageSize, options);
    }

    [Fact]
    public void ShuffledPosition_HoldsTheTileOfTheCellItsPermutationNames_ComputedByHand()
    {
        // 9 px image, 3 px cells, whole-cell tiles: no gap, the grid fills the image, cell k starts at (3·(k/3), 3·(k%3)).
        using var method = Make(9, new JigsawOptions { TileFraction = 1, Permutations = 10 }, channels: 1);
        Assert.Equal((3, 3), (method.Cell, method.TileSize));
        using var image = arange(81, ScalarType.Float32).view(1, 1, 9, 9).expand(40, 1, 9, 9).contiguous(); // pixel (r, c) = 9r + c

        var p = method.Place(40, new Generator(4));
        using var tiles = method.Shuffled(image, p); // [40, 9, 1, 3, 3]

        var set = JigsawPermutations.Maximal(10);
        var labels = Longs(p.Labels);
        Assert.True(labels.Distinct().Count() > 5);
        for (var i = 0; i < 40; i++)
            for (var s = 0; s < 9; s++)
            {
                var cell = set[labels[i]][s];
                var corner = 27 * (cell / 3) + 3 * (cell % 3);
                float[] byHand = [corner, corner + 1, corner + 2, corner + 9, corner + 10, corner + 11, corner + 18, corner + 19, corner + 20];
                Assert.Equal(byHand, tiles[i, s].contiguous().data<float>().ToArray());
            }
    }

    [Fact]
    public void Tiles_StayInsideTheirCells_WithRandomGapsAndJitter()
    {
        // 32 px: 10 px cells, 8 px tiles, so each tile moves 0…2 px inside its cell and the 30 px grid starts at 0…2.
        using var method = Make(32, new JigsawOptions());
        Assert.Equal((10, 8), (method.Cell, method.TileSize));

        var p = method.Place(256, new Generator(5));

        var (gt, gl, tt, tl) = (Longs(p.GridTop), Longs(p.GridLeft), Longs(p.TileTop), Longs(p.TileLeft));
        var offsets = new HashSet<long>();
        for (var i = 0; i < 256; i++)
        {
            Assert.InRange(gt[i], 0, 2);
            Assert.InRange(gl[i], 0, 2);
            for (var k = 0; k < 9; k++)
            {
                long dy = tt[9 * i + k] - gt[i] - 10 * (k / 3), dx = tl[9 * i + k] - gl[i] - 10 * (k % 3);
                Assert.InRange(dy, 0, 2);
                Assert.InRange(dx, 0, 2);
                offsets.UnionWith([dy, dx]);
                Assert.InRange(tt[9 * i + k], 0, 32 - 8);
            }
            // Horizontal neighbours never overlap, and the gap between them varies from 0 to 4 px.
            Assert.True(tl[9 * i + 1] - tl[9 * i] >= 8);
        }
        Assert.Equal(new long[] { 0, 1, 2 }, offsets.Order());
    }

    [Fact]
    public void TileNormalization_GivesEachChannelOfEachTileZeroMeanAndUnitDeviation_AndLeavesFlatTilesFinite()
    {
        using var g = new Generator(2);
        using var tiles = randn([4, 9, 3, 5, 5], generator: g) * 7 + 3;
        tiles[0, 0, 1] = full([5, 5], 2f);

        using var n = Jigsaw.NormalizeTiles(tiles);

        using var mean = n.mean([-2L, -1L]);
        using var std = n.std([-2L, -1L], unbiased: false);
        Assert.True(mean.abs().max().item<float>() < 1e-5f);
        Assert.Equal(0f, n[0, 0, 1].abs().max().item<float>());
        std[0, 0, 1] = tensor(1f);
        Assert.True(std.sub(1).abs().max().item<float>() < 1e-4f);
    }

    [Fact]
    public void PermutationSet_IsTheGreedyMaximalSet_AndTheCheckpointKeepsIt()
    {
        using var trained = Make(32, new JigsawOptions { PermutationSeed = 0 });
        using var other = Make(32, new JigsawOptions { PermutationSeed = 7 });
        var byHand = JigsawPermutations.Maximal(100, 9, 0).SelectMany(p => p.Select(i => (long)i)).ToArray();
        Assert.Equal(byHand, Longs(trained.PermutationSet));
        Assert.False(trained.PermutationSet.allclose(other.PermutationSet, 0, 0));
        var path = Path.Combine(Path.GetTempPath(), $"jigsaw-{Guid.NewGuid():N}.bin");
        try
        {
            trained.save(path);
            other.load(path);
            Assert.Equal(byHand, Longs(other.PermutationSet));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Step_LearnsThroughEncoderAndHead_AndStartsNearLogP()
    {
        using var method = Make(16, new JigsawOptions { HeadHiddenDim = 5, Permutations = 30 });
        using var x = randn(6, 3, 16, 16);

        var result = method.Step(x);
        result.Loss.backward();

        Assert.InRange(result.Loss.item<float>(), Math.Log(30) - 1, Math.Log(30) + 1);
        Assert.All(method.parameters(), p => Assert.True(p.grad is not null && p.grad.abs().sum().item<float>() > 0));
        Assert.True(result.Scalars["embedding_std"].item<float>() > 0);
    }

    [Fact]
    public void Training_SolvesPuzzlesOfAFewFixedImages()
    {
        // Eight fixed images, ten permutations: a working step pipeline learns them far above the 10 % chance.
        using var method = Make(12, new JigsawOptions { Permutations = 10, TileNormalization = false });
        using var g = new Generator(1);
        using var x = randn([8, 3, 12, 12], generator: g);
        using var optimizer = optim.Adam(method.parameters(), 0.01);
        for (var step = 0; step < 150; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            method.Step(x).Loss.backward();
            optimizer.step();
        }
        var (correct, total) = method.PretextScore(x.repeat(8, 1, 1, 1), new Generator(9));
        Assert.Equal(64, total);
        Assert.True(correct >= 40, $"{correct} of 64 solved");
    }

    [Fact]
    public void PretextScore_ScoresOnePuzzlePerImage_FromTheGivenGenerator_AndRestoresTrainingMode()
    {
        using var method = Make(16, new JigsawOptions { Permutations = 20 });
        using var x = randn(10, 3, 16, 16);

        var a = method.PretextScore(x, new Generator(3));
        var b = method.PretextScore(x, new Generator(3));

        Assert.Equal(10, a.Total);
        Assert.Equal(a, b);
        Assert.True(method.training);
        Assert.Equal(0.05, method.PretextChance, 10);
    }

    [Fact]
    public void Options_ThatLeaveNoTile_OrTooFewClasses_AreRejectedByName()
    {
        Assert.Contains("tile_fraction", Assert.Throws<ArgumentException>(() => Make(6, new JigsawOptions { TileFraction = 0.3 })).Message);
        Assert.Contains("permutations", Assert.Throws<ArgumentException>(() => Make(32, new JigsawOptions { Permutations = 1 })).Message);
    }
}
