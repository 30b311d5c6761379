using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Numerics;

/// <summary>Settings of <see cref="KMeans"/>; the defaults are scikit-learn's for k-means++ with several restarts.</summary>
public sealed record KMeansOptions
{
    /// <summary>Independent k-means++ initialisations; the run with the lowest inertia is kept.</summary>
    public int Restarts { get; init; } = 10;

    /// <summary>Lloyd iterations per restart at most.</summary>
    public int MaxIterations { get; init; } = 300;

    /// <summary>Stop when the summed squared centroid shift is ≤ this × the mean per-dimension variance of the data.</summary>
    public double Tolerance { get; init; } = 1e-4;

    /// <summary>Seeds the k-means++ draws of every restart.</summary>
    public int Seed { get; init; }

    internal void Validate()
    {
        if (Restarts <= 0) throw new ArgumentException($"k-means: Restarts must be positive, got {Restarts}");
        if (MaxIterations <= 0) throw new ArgumentException($"k-means: MaxIterations must be positive, got {MaxIterations}");
        if (!(Tolerance >= 0)) throw new ArgumentException($"k-means: Tolerance must be ≥ 0, got {Tolerance}");
    }
}

/// <summary>The best of the restarts: centroids [k, D] on the data's device, one cluster id per row, and its inertia.</summary>
public sealed class KMeansResult : IDisposable
{
    internal KMeansResult(Tensor centroids, long[] assignments, double inertia, int iterations)
    {
        Centroids = centroids;
        Assignments = assignments;
        Inertia = inertia;
        Iterations = iterations;
    }

    public Tensor Centroids { get; }
    public long[] Assignments { get; }

    /// <summary>Sum over rows of the squared distance to the assigned centroid.</summary>
    public double Inertia { get; }

    /// <summary>Lloyd iterations the kept restart took.</summary>
    public int Iterations { get; }

    public void Dispose() => Centroids.Dispose();
}

/// <summary>
/// k-means with k-means++ seeding (Arthur and Vassilvitskii 2007) and Lloyd iterations, as tensor ops on the data's
/// device. The random draws come from one seeded CPU generator, so a seed gives the same clustering on any device.
/// </summary>
public static class KMeans
{
    /// <summary>Distance-matrix elements per row chunk (~64 MiB of float32), which bounds peak memory.</summary>
    const long ChunkElements = 1L << 24;

    /// <summary>Clusters the rows of <paramref name="x"/> [N, D] into <paramref name="k"/> groups.</summary>
    public static KMeansResult Fit(Tensor x, int k, KMeansOptions? options = null)
    {
        options ??= new KMeansOptions();
        options.Validate();
        if (x.dim() != 2) throw new ArgumentException($"k-means: data must be [N, D], got [{string.Join(", ", x.shape)}]");
        if (k <= 0 || k > x.shape[0]) throw new ArgumentException($"k-means: k must be in [1, {x.shape[0]}] (the number of rows), got {k}");
        using var scope = NewDisposeScope();
        var data = x.to(ScalarType.Float32); // [N, D]
        var tolerance = options.Tolerance * data.var(0L, unbiased: false).mean().item<float>();
        using var generator = new Generator((ulong)options.Seed);
        Tensor? best = null;
        Tensor? bestAssign = null;
        var bestInertia = double.PositiveInfinity;
        var bestIterations = 0;
        for (var r = 0; r < options.Restarts; r++)
        {
            using var restartScope = NewDisposeScope();
            var centroids = PlusPlus(data, k, generator); // [k, D]
            var iterations = 0;
            while (iterations < options.MaxIterations)
            {
                iterations++;
                var (_, assign) = Nearest(data, centroids); // [N]
                var updated = Update(data, centroids, assign, k);
                var shift = updated.sub(centroids).pow_(2).sum().item<float>();
                centroids = updated;
                if (shift <= tolerance) break;
            }
            var (distance, final) = Nearest(data, centroids);
            var inertia = distance.to(ScalarType.Float64).sum().item<double>();
            if (inertia < bestInertia)
            {
                best?.Dispose();
                bestAssign?.Dispose();
                bestInertia = inertia;
                bestIterations = iterations;
                best = centroids.MoveToOuterDisposeScope();
                bestAssign = final.MoveToOuterDisposeScope();
            }
        }
        var assignments = bestAssign!.cpu().data<long>().ToArray();
        return new KMeansResult(best!.MoveToOuterDisposeScope(), assignments, bestInertia, bestIterations);
    }

    /// <summary>Squared distance to, and index of, the nearest centroid for every row: [N], [N].</summary>
    public static (Tensor Distance, Tensor Index) Nearest(Tensor x, Tensor centroids)
    {
        using var scope = NewDisposeScope();
        var n = x.shape[0];
        var distance = empty([n], ScalarType.Float32, x.device);
        var index = empty([n], ScalarType.Int64, x.device);
        var c2 = centroids.square().sum(1).unsqueeze(0); // [1, k]
        var chunk = Math.Max(1, ChunkElements / centroids.shape[0]);
        for (long start = 0; start < n; start += chunk)
        {
            using var chunkScope = NewDisposeScope();
            var rows = x.narrow(0, start, Math.Min(chunk, n - start)); // [b, D]
            // ‖x − c‖² = ‖x‖² − 2 x·c + ‖c‖², clamped at 0 against round-off.
            var d = rows.square().sum(1, keepdim: true).add(c2).sub_(rows.matmul(centroids.t()).mul_(2)).clamp_min_(0); // [b, k]
            var (values, indexes) = d.min(1);
            distance.narrow(0, start, rows.shape[0]).copy_(values);
            index.narrow(0, start, rows.shape[0]).copy_(indexes);
        }
        return (distance.MoveToOuterDisposeScope(), index.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// k-means++: the first centroid is a uniform row, each next one a row drawn with probability proportional to
    /// its squared distance to the nearest centroid chosen so far.
    /// </summary>
    static Tensor PlusPlus(Tensor x, int k, Generator generator)
    {
        using var scope = NewDisposeScope();
        var n = x.shape[0];
        var centroids = empty([k, x.shape[1]], x.dtype, x.device); // [k, D]
        var first = (long)Math.Min(n - 1, Math.Floor(Draw(generator) * n));
        centroids[0].copy_(x[first]);
        var closest = x.sub(x[first]).pow_(2).sum(1); // [N]
        for (var c = 1; c < k; c++)
        {
            var weights = closest.to(ScalarType.Float64).cpu(); // [N]
            var total = weights.sum().item<double>();
            long pick;
            if (total <= 0) pick = (long)Math.Min(n - 1, Math.Floor(Draw(generator) * n)); // all rows coincide with a centroid
            else
            {
                var cumulative = weights.cumsum(0); // [N]
                // First row whose cumulative weight exceeds u; rows of weight 0 have empty intervals and are never picked.
                pick = Math.Min(n - 1, cumulative.le(Draw(generator) * total).sum().item<long>());
            }
            centroids[c].copy_(x[pick]);
            closest = minimum(closest, x.sub(x[pick]).pow_(2).sum(1));
        }
        return centroids.MoveToOuterDisposeScope();
    }

    /// <summary>Mean of each cluster's rows; an empty cluster moves to the row farthest from its centroid.</summary>
    static Tensor Update(Tensor x, Tensor centroids, Tensor assign, int k)
    {
        using var scope = NewDisposeScope();
        var sums = zeros([k, x.shape[1]], x.dtype, x.device).index_add_(0, assign, x, 1); // [k, D]
        var counts = zeros([k], x.dtype, x.device).index_add_(0, assign, ones([x.shape[0]], x.dtype, x.device), 1); // [k]
        var updated = sums.div_(counts.clamp_min(1).unsqueeze(1));
        var isEmpty = counts.eq(0); // [k]
        if (isEmpty.any().item<bool>())
        {
            var empty = isEmpty.nonzero().view(-1).cpu().data<long>().ToArray();
            var (distance, _) = Nearest(x, centroids);
            foreach (var c in empty)
            {
                var far = distance.argmax().item<long>();
                updated[c].copy_(x[far]);
                distance[far].fill_(0);
            }
        }
        return updated.MoveToOuterDisposeScope();
    }

    static double Draw(Generator generator)
    {
        using var u = rand(1, ScalarType.Float64, generator: generator);
        return u.item<double>();
    }
}
