using System.Globalization;
using SelfSup.Numerics;
using static TorchSharp.torch;
using SelfSup.Progress;

namespace SelfSup.Evaluation;

/// <summary>
/// Exact t-SNE (van der Maaten and Hinton 2008): Gaussian affinities P in the input space with a per-point bandwidth
/// matched to the perplexity, Student-t affinities Q in 2-D, gradient descent on KL(P‖Q) with momentum and per-
/// coordinate gains as in the reference implementation. O(N²) memory and time: meant for a few thousand points.
/// </summary>
public static class Tsne
{
    /// <summary>
    /// A 2-D layout float32 [N, 2] of the rows of <paramref name="x"/> [N, D], computed on x's device. The same input,
    /// options and seed give the same layout.
    /// </summary>
    public static Tensor Embed(Tensor x, TsneOptions? options = null, IProgress<string>? log = null)
    {
        options ??= new TsneOptions();
        if (x.dim() != 2) throw new ArgumentException($"t-SNE expects a [N, D] matrix, got [{string.Join(", ", x.shape)}]");
        var n = x.shape[0];
        options.Validate(n);
        using var scope = NewDisposeScope();
        var data = x.to(ScalarType.Float64);
        if (!data.isfinite().all().item<bool>()) throw new ArgumentException("t-SNE input contains NaN or infinite values");
        if (options.PcaDims > 0 && data.shape[1] > options.PcaDims) data = PcaProjection.Project(data, options.PcaDims); // [N, 50]
        var p = JointProbabilities(SquaredDistances(data), options.Perplexity).to(ScalarType.Float32); // [N, N]
        var y = InitialLayout(data, options).to(ScalarType.Float32); // [N, 2]
        Optimize(p, y, options, log);
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>Squared Euclidean distances between rows, [N, N] with a zero diagonal.</summary>
    internal static Tensor SquaredDistances(Tensor x)
    {
        using var scope = NewDisposeScope();
        var sq = (x * x).sum(1); // [N]
        var d2 = (sq.unsqueeze(1) + sq.unsqueeze(0) - 2 * x.matmul(x.t())).clamp_min(0); // [N, N]
        d2.diagonal().zero_();
        return d2.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Conditional affinities p(j|i) ∝ exp(−β_i·d²_ij), [N, N], each row summing to 1 with p(i|i) = 0. Every β_i is
    /// found by bisection (all rows at once) so that the row's entropy equals log(perplexity).
    /// </summary>
    internal static Tensor ConditionalProbabilities(Tensor d2, double perplexity, double tolerance = 1e-7, int maxSteps = 200)
    {
        using var scope = NewDisposeScope();
        var n = d2.shape[0];
        var target = Math.Log(perplexity);
        var offDiagonal = ones_like(d2);
        offDiagonal.diagonal().zero_();
        // Shifting each row by its smallest off-diagonal distance leaves p(j|i) unchanged and keeps exp() from
        // underflowing to an all-zero row when distances are large.
        var nearest = d2.masked_fill(offDiagonal == 0, double.PositiveInfinity).min(1, keepdim: true).values; // [N, 1]
        var shifted = (d2 - nearest).clamp_min(0) * offDiagonal; // [N, N]
        var beta = 1.0 / (shifted.sum(1, keepdim: true) / (n - 1)).clamp_min(1e-12); // [N, 1]
        var low = zeros_like(beta);
        var high = full_like(beta, double.PositiveInfinity);
        Tensor p = shifted;
        for (var step = 0; step < maxSteps; step++)
        {
            p = (-shifted * beta).exp() * offDiagonal; // [N, N]
            var total = p.sum(1, keepdim: true); // [N, 1]
            var entropy = total.log() + beta * (shifted * p).sum(1, keepdim: true) / total; // [N, 1], nats
            var excess = entropy - target;
            if (excess.abs().max().to(ScalarType.Float64).item<double>() < tolerance) break;
            // Too much entropy means too wide a Gaussian: raise β.
            var tooWide = excess > 0;
            low = where(tooWide, beta, low);
            high = where(tooWide, high, beta);
            beta = where(high.isinf(), beta * 2, (low + high) / 2);
        }
        return (p / p.sum(1, keepdim: true)).MoveToOuterDisposeScope();
    }

    /// <summary>Symmetric joint affinities p_ij = (p(j|i) + p(i|j)) / 2N, [N, N], summing to 1, zero diagonal.</summary>
    internal static Tensor JointProbabilities(Tensor d2, double perplexity)
    {
        using var scope = NewDisposeScope();
        var conditional = ConditionalProbabilities(d2, perplexity);
        var p = ((conditional + conditional.t()) / (2.0 * d2.shape[0])).clamp_min(1e-12); // [N, N]
        p.diagonal().zero_();
        return p.MoveToOuterDisposeScope();
    }

    /// <summary>Student-t kernel (1 + ‖y_i − y_j‖²)⁻¹ with a zero diagonal, [N, N], and Q = kernel / its sum.</summary>
    internal static (Tensor Q, Tensor Kernel) StudentQ(Tensor y)
    {
        using var scope = NewDisposeScope();
        var kernel = Kernel(y);
        var q = kernel / kernel.sum();
        return (q.MoveToOuterDisposeScope(), kernel.MoveToOuterDisposeScope());
    }

    /// <summary>(1 + ‖y_i − y_j‖²)⁻¹ with a zero diagonal, [N, N], built in place in one N×N buffer (this runs every iteration).</summary>
    static Tensor Kernel(Tensor y)
    {
        using var scope = NewDisposeScope();
        var sq = (y * y).sum(1); // [N]
        var kernel = y.matmul(y.t()).mul_(-2).add_(sq.unsqueeze(1)).add_(sq.unsqueeze(0)).clamp_min_(0).add_(1).reciprocal_(); // [N, N]
        kernel.diagonal().zero_();
        return kernel.MoveToOuterDisposeScope();
    }

    /// <summary>KL(P‖Q) over the off-diagonal pairs.</summary>
    internal static double Divergence(Tensor p, Tensor q)
    {
        using var scope = NewDisposeScope();
        var terms = p * (p.clamp_min(1e-12) / q.clamp_min(1e-12)).log(); // [N, N]
        terms.diagonal().zero_();
        return terms.sum().to(ScalarType.Float64).item<double>();
    }

    /// <summary>
    /// ∂KL(P‖Q)/∂y_i = 4 Σ_j (p_ij − q_ij)(1 + ‖y_i − y_j‖²)⁻¹ (y_i − y_j), [N, 2], computed as
    /// 4·(rowsum(W)·y − W·y) with W = (P − Q) ∘ kernel.
    /// </summary>
    internal static Tensor Gradient(Tensor p, Tensor y)
    {
        using var scope = NewDisposeScope();
        var kernel = Kernel(y); // [N, N]
        var inverseSum = kernel.sum().reciprocal_().neg_();
        var w = kernel.mul(inverseSum).add_(p).mul_(kernel); // (P − Q) ∘ kernel, [N, N]
        return (4 * (w.sum(1, keepdim: true) * y - w.matmul(y))).MoveToOuterDisposeScope(); // [N, 2]
    }

    static Tensor InitialLayout(Tensor data, TsneOptions options)
    {
        using var scope = NewDisposeScope();
        var n = data.shape[0];
        Tensor y;
        if (options.Init == TsneInit.Pca && data.shape[1] >= 2)
        {
            y = PcaProjection.Project(data, 2); // [N, 2]
            var spread = y.select(1, 0).std().to(ScalarType.Float64).item<double>();
            y = spread > 0 ? y / spread * 1e-4 : y;
        }
        else
        {
            using var g = new Generator((ulong)options.Seed);
            y = randn([n, 2], dtype: ScalarType.Float64, generator: g).to(data.device) * 1e-4;
        }
        return y.MoveToOuterDisposeScope();
    }

    static void Optimize(Tensor p, Tensor y, TsneOptions options, IProgress<string>? log)
    {
        var n = p.shape[0];
        var learningRate = options.LearningRate ?? Math.Max(n / options.EarlyExaggeration / 4, 50);
        using var exaggerated = p * options.EarlyExaggeration;
        using var update = zeros_like(y);
        using var gains = ones_like(y);
        using var noGrad = no_grad();
        using var meter = WorkProgress.Start("t-SNE", options.Iterations, "iterations");
        for (var it = 0; it < options.Iterations; it++, meter.Advance())
        {
            using var step = NewDisposeScope();
            var early = it < options.ExaggerationIterations;
            var target = early ? exaggerated : p;
            var gradient = Gradient(target, y); // [N, 2]
            // Gains grow where the gradient keeps flipping the step's direction and shrink where it agrees.
            var agrees = (gradient > 0).eq(update > 0);
            gains.copy_(where(agrees, gains * 0.8, gains + 0.2).clamp_min(0.01));
            update.mul_(early ? options.InitialMomentum : options.FinalMomentum).sub_(gains * gradient * learningRate);
            y.add_(update);
            y.sub_(y.mean([0], keepdim: true));
            if (log is not null && options.ReportEvery > 0 && ((it + 1) % options.ReportEvery == 0 || it + 1 == options.Iterations))
            {
                var kl = Divergence(p, StudentQ(y).Q);
                log.Report(string.Create(CultureInfo.InvariantCulture, $"t-SNE iteration {it + 1}/{options.Iterations}: KL {kl:F4}"));
            }
        }
    }
}
