using SelfSup.Evaluation;
using SelfSup.Numerics;
using SelfSup.Reporting;
using static TorchSharp.torch;

namespace SelfSup.Tests.Reporting;

public class EmbeddingProjectionTests
{
    [Fact]
    public void Project_WithPca_IsTheFirstTwoPrincipalComponentsAsFloat32()
    {
        using var g = new Generator(1);
        using var x = randn([40, 6], generator: g);
        using var layout = EmbeddingProjection.Project(x, new ProjectionSettings { Method = ProjectionMethod.Pca });
        using var expected = PcaProjection.Project(x, 2);
        Assert.Equal(ScalarType.Float32, layout.dtype);
        Assert.True(layout.allclose(expected.to(ScalarType.Float32), atol: 1e-5));
    }

    [Fact]
    public void Project_WithTsne_UsesThePerplexityAndIterations()
    {
        using var g = new Generator(2);
        using var x = randn([30, 5], generator: g);
        var settings = new ProjectionSettings { Perplexity = 5, Iterations = 30 };
        using var layout = EmbeddingProjection.Project(x, settings);
        using var direct = Tsne.Embed(x, new TsneOptions { Perplexity = 5, Iterations = 30 });
        Assert.Equal(direct.data<float>().ToArray(), layout.data<float>().ToArray());
        Assert.Throws<ArgumentException>(() => EmbeddingProjection.Project(x, settings with { Perplexity = 30 }));
    }

    [Fact]
    public void Run_RejectsTooFewPointsForK_BeforeLoadingAnything()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            EmbeddingProjection.Run("/nonexistent/last.ckpt", "/tmp/unused", new ProjectionSettings { Points = 15, K = 10 }));
        Assert.Contains("--points must be at least 22", e.Message);
    }
}
