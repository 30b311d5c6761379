using SelfSup.Evaluation;
using static TorchSharp.torch;

namespace SelfSup.Tests.Evaluation;

public class TsneTests
{
    static Tensor RandomPoints(int n, int d, ulong seed)
    {
        using var g = new Generator(seed);
        return randn([n, d], dtype: ScalarType.Float64, generator: g);
    }

    /// <summary>Three tight clusters far apart in 10-D, 30 points each; labels are the cluster index.</summary>
    static (Tensor Points, long[] Labels) Blobs(ulong seed = 3)
    {
        using var g = new Generator(seed);
        var labels = Enumerable.Range(0, 90).Select(i => (long)(i / 30)).ToArray();
        var centres = randn([3, 10], dtype: ScalarType.Float64, generator: g) * 20; // [3, 10]
        var noise = randn([90, 10], dtype: ScalarType.Float64, generator: g); // [90, 10]
        return (centres[tensor(labels)] + noise, labels);
    }

    [Fact]
    public void ConditionalProbabilities_RowsSumToOne_AndHaveTheRequestedPerplexity()
    {
        using var x = RandomPoints(60, 5, 1);
        using var d2 = Tsne.SquaredDistances(x);
        using var p = Tsne.ConditionalProbabilities(d2, perplexity: 10);
        var rows = p.sum(1).data<double>().ToArray();
        Assert.All(rows, s => Assert.Equal(1.0, s, 1e-9));
        Assert.All(p.diagonal().data<double>().ToArray(), v => Assert.Equal(0.0, v));
        // Entropy in bits of each row equals log2(perplexity).
        var bits = (-(p * p.clamp_min(1e-300).log2()).sum(1)).data<double>().ToArray();
        Assert.All(bits, h => Assert.Equal(Math.Log2(10), h, 1e-3));
    }

    [Fact]
    public void ConditionalProbabilities_StayFinite_WhenDistancesAreHuge()
    {
        using var x = RandomPoints(20, 3, 2) * 1e4;
        using var d2 = Tsne.SquaredDistances(x);
        using var p = Tsne.ConditionalProbabilities(d2, perplexity: 5);
        Assert.True(p.isfinite().all().item<bool>());
        Assert.All(p.sum(1).data<double>().ToArray(), s => Assert.Equal(1.0, s, 1e-9));
    }

    [Fact]
    public void JointProbabilities_AreSymmetric_AndSumToOne()
    {
        using var x = RandomPoints(40, 4, 3);
        using var d2 = Tsne.SquaredDistances(x);
        using var p = Tsne.JointProbabilities(d2, perplexity: 8);
        Assert.Equal(1.0, p.sum().item<double>(), 1e-6);
        Assert.True(p.allclose(p.t(), rtol: 0, atol: 1e-15));
    }

    [Fact]
    public void StudentQ_MatchesHandComputedValues_IsSymmetric_AndSumsToOne()
    {
        // Points (0,0), (1,0), (0,2): squared distances 1, 4, 5 → kernels 1/2, 1/5, 1/6, each pair counted twice.
        using var y = tensor(new double[] { 0, 0, 1, 0, 0, 2 }, [3, 2]);
        var (q, kernel) = Tsne.StudentQ(y);
        var total = 2 * (0.5 + 0.2 + 1.0 / 6);
        Assert.Equal(0.5 / total, q[0, 1].item<double>(), 1e-12);
        Assert.Equal(0.2 / total, q[0, 2].item<double>(), 1e-12);
        Assert.Equal(1.0 / 6 / total, q[2, 1].item<double>(), 1e-12);
        Assert.Equal(0.0, q[1, 1].item<double>());
        Assert.Equal(1.0, q.sum().item<double>(), 1e-12);
        Assert.True(q.allclose(q.t(), rtol: 0, atol: 1e-15));
        Assert.Equal(0.5, kernel[0, 1].item<double>(), 1e-12);
    }

    [Fact]
    public void Gradient_MatchesAutogradOfTheKlDivergence()
    {
        using var x = RandomPoints(7, 3, 4);
        using var d2 = Tsne.SquaredDistances(x);
        using var p = Tsne.JointProbabilities(d2, perplexity: 3);
        using var y0 = RandomPoints(7, 2, 5);
        using var analytic = Tsne.Gradient(p, y0);

        // KL(P‖Q) written independently from the pairwise differences, differentiated by autograd.
        using var y = y0.clone().requires_grad_(true);
        using var offDiagonal = ones(7, 7, dtype: ScalarType.Float64) - eye(7, dtype: ScalarType.Float64);
        var diff = y.unsqueeze(1) - y.unsqueeze(0); // [7, 7, 2]
        var kernel = (diff.pow(2).sum(2) + 1).reciprocal() * offDiagonal; // [7, 7]
        var q = kernel / kernel.sum();
        var kl = (offDiagonal * p * (p.clamp_min(1e-300) / (q + eye(7, dtype: ScalarType.Float64))).log()).sum();
        kl.backward();

        Assert.True(analytic.allclose(y.grad!, rtol: 1e-9, atol: 1e-12),
            $"analytic {analytic.ToString(TorchSharp.TensorStringStyle.Numpy)} vs autograd {y.grad!.ToString(TorchSharp.TensorStringStyle.Numpy)}");
        Assert.Equal(kl.item<double>(), Tsne.Divergence(p, Tsne.StudentQ(y0).Q), 1e-9);
    }

    [Fact]
    public void Embed_KeepsWellSeparatedBlobsApart()
    {
        var (points, labels) = Blobs();
        using var _ = points;
        using var layout = Tsne.Embed(points, new TsneOptions { Perplexity = 10, Iterations = 500 });
        Assert.Equal(new long[] { 90, 2 }, layout.shape);
        Assert.Equal(100.0, ProjectionQuality.LayoutKnnAccuracy(layout, labels, k: 5));
        // Neighbourhoods inside a blob are noise, yet most of them survive.
        Assert.True(ProjectionQuality.KnnPreservation(points, layout, k: 5) > 0.4);
        // Each blob is tighter than the gap to the nearest other blob.
        var centres = Enumerable.Range(0, 3).Select(c => layout.narrow(0, 30 * c, 30).mean([0])).ToArray();
        var radius = Enumerable.Range(0, 3).Max(c => (layout.narrow(0, 30 * c, 30) - centres[c]).norm(1).max().item<float>());
        var gap = new[] { (0, 1), (0, 2), (1, 2) }.Min(ab => (centres[ab.Item1] - centres[ab.Item2]).norm().item<float>());
        Assert.True(gap > 2 * radius, $"gap {gap} vs radius {radius}");
    }

    [Fact]
    public void Embed_IsDeterministic_ForASeed_AndChangesWithIt()
    {
        using var x = RandomPoints(30, 6, 6);
        var options = new TsneOptions { Perplexity = 5, Iterations = 100, Init = TsneInit.Random, Seed = 7 };
        using var a = Tsne.Embed(x, options);
        using var b = Tsne.Embed(x, options);
        using var c = Tsne.Embed(x, options with { Seed = 8 });
        Assert.Equal(a.data<float>().ToArray(), b.data<float>().ToArray());
        Assert.False(a.allclose(c));
    }

    [Fact]
    public void Embed_ReducesWideInputsWithPca_AndReportsProgress()
    {
        using var x = RandomPoints(40, 80, 9);
        var messages = new List<string>();
        using var layout = Tsne.Embed(x, new TsneOptions { Perplexity = 5, Iterations = 20, ReportEvery = 10 }, new Progress(messages));
        Assert.Equal(new long[] { 40, 2 }, layout.shape);
        Assert.True(layout.isfinite().all().item<bool>());
        Assert.Equal(2, messages.Count);
        Assert.StartsWith("t-SNE iteration 20/20: KL ", messages[1]);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(30.0)]
    public void Embed_RejectsAPerplexityOutsideOneToN(double perplexity)
    {
        using var x = RandomPoints(30, 3, 1);
        var e = Assert.Throws<ArgumentException>(() => Tsne.Embed(x, new TsneOptions { Perplexity = perplexity }));
        Assert.Contains("perplexity", e.Message);
    }

    sealed class Progress(List<string> messages) : IProgress<string>
    {
        public void Report(string value) => messages.Add(value);
    }
}
