using TorchSharp;
using static TorchSharp.torch;
using SelfSup.Progress;

namespace SelfSup.Evaluation;

/// <summary>k-NN accuracies in percent.</summary>
public sealed record KnnResult(double Top1, double Top5);

/// <summary>
/// Weighted k-nearest-neighbour classifier on frozen features (Wu et al. 2018, "Unsupervised Feature Learning via
/// Non-Parametric Instance Discrimination"; the evaluation DINO uses): cosine similarity between L2-normalised
/// features, the k most similar training rows vote for their class with weight exp(sim / T).
/// </summary>
public static class Knn
{
    /// <summary>Similarity matrix elements per test chunk (~256 MiB of float32), which bounds peak memory.</summary>
    const long ChunkElements = 1L << 26;

    /// <summary>Top-1 and top-5 accuracy (percent) of the weighted vote on the test rows.</summary>
    public static KnnResult Evaluate(Tensor trainFeatures, long[] trainLabels, Tensor testFeatures, long[] testLabels,
        int numClasses, int k = 20, double temperature = 0.07)
    {
        Validate(trainFeatures, trainLabels, testFeatures, numClasses, k, temperature);
        if (testLabels.Length != testFeatures.shape[0])
            throw new ArgumentException($"k-NN: {testFeatures.shape[0]} test feature rows but {testLabels.Length} test labels");
        if (testLabels.Length == 0) throw new ArgumentException("k-NN: the test set is empty");
        long top1 = 0, top5 = 0;
        var topN = Math.Min(5, numClasses);
        ForEachChunk(trainFeatures, trainLabels, testFeatures, numClasses, k, temperature, (start, votes) =>
        {
            using var scope = NewDisposeScope();
            var n = votes.shape[0];
            var truth = tensor(testLabels.AsSpan((int)start, (int)n).ToArray(), device: votes.device).unsqueeze(1); // [b, 1]
            var ranked = votes.topk(topN, dim: 1).indexes; // [b, topN]
            var hits = ranked.eq(truth); // [b, topN]
            top1 += hits.narrow(1, 0, 1).sum().item<long>();
            top5 += hits.any(1).sum().item<long>();
        });
        return new KnnResult(100.0 * top1 / testLabels.Length, 100.0 * top5 / testLabels.Length);
    }

    /// <summary>
    /// The summed vote weights per class, float32 [N_test, numClasses] on the features' device: entry (i, c) is
    /// Σ exp(sim(i, j) / T) over the k nearest training rows j of class c.
    /// </summary>
    public static Tensor ClassVotes(Tensor trainFeatures, long[] trainLabels, Tensor testFeatures, int numClasses,
        int k = 20, double temperature = 0.07)
    {
        Validate(trainFeatures, trainLabels, testFeatures, numClasses, k, temperature);
        var output = zeros([testFeatures.shape[0], numClasses], ScalarType.Float32, trainFeatures.device); // [N_test, C]
        ForEachChunk(trainFeatures, trainLabels, testFeatures, numClasses, k, temperature,
            (start, votes) => output.narrow(0, start, votes.shape[0]).copy_(votes));
        return output;
    }

    /// <summary>Computes the votes for test rows in chunks and hands each chunk [b, C] to <paramref name="consume"/>.</summary>
    static void ForEachChunk(Tensor trainFeatures, long[] trainLabels, Tensor testFeatures, int numClasses, int k,
        double temperature, Action<long, Tensor> consume)
    {
        using var scope = NewDisposeScope();
        var device = trainFeatures.device;
        var nTrain = trainFeatures.shape[0];
        var nTest = testFeatures.shape[0];
        var kEff = (int)Math.Min(k, nTrain);
        var train = nn.functional.normalize(trainFeatures.to(ScalarType.Float32), dim: 1); // [N_train, D]
        var trainT = train.t().contiguous(); // [D, N_train]
        var labels = tensor(trainLabels, ScalarType.Int64, device); // [N_train]
        var chunk = Math.Max(1, Math.Min(nTest, ChunkElements / Math.Max(1, nTrain)));
        using var meter = WorkProgress.Start("k-NN", nTest, "queries");
        for (long start = 0; start < nTest; start += chunk)
        {
            using var chunkScope = NewDisposeScope();
            var n = Math.Min(chunk, nTest - start);
            var test = nn.functional.normalize(testFeatures.narrow(0, start, n).to(ScalarType.Float32).to(device), dim: 1); // [b, D]
            var sim = test.matmul(trainT); // [b, N_train]
            var (values, indices) = sim.topk(kEff, dim: 1); // [b, k]
            var neighbourLabels = labels.index_select(0, indices.reshape(-1)).view(n, kEff); // [b, k]
            var weights = values.div(temperature).exp_(); // [b, k]
            var votes = zeros([n, numClasses], ScalarType.Float32, device).scatter_add_(1, neighbourLabels, weights); // [b, C]
            consume(start, votes);
            meter.Advance(n);
        }
    }

    static void Validate(Tensor trainFeatures, long[] trainLabels, Tensor testFeatures, int numClasses, int k, double temperature)
    {
        if (trainFeatures.dim() != 2 || testFeatures.dim() != 2)
            throw new ArgumentException($"k-NN: features must be [N, D], got train [{string.Join(", ", trainFeatures.shape)}] and test [{string.Join(", ", testFeatures.shape)}]");
        if (trainFeatures.shape[1] != testFeatures.shape[1])
            throw new ArgumentException($"k-NN: train features have D = {trainFeatures.shape[1]} but test features have D = {testFeatures.shape[1]}");
        if (trainLabels.Length != trainFeatures.shape[0])
            throw new ArgumentException($"k-NN: {trainFeatures.shape[0]} train feature rows but {trainLabels.Length} train labels");
        if (trainLabels.Length == 0) throw new ArgumentException("k-NN: the training set is empty");
        if (numClasses <= 0) throw new ArgumentException($"k-NN: numClasses must be positive, got {numClasses}");
        if (k <= 0) throw new ArgumentException($"k-NN: k must be positive, got {k}");
        if (!(temperature > 0)) throw new ArgumentException($"k-NN: temperature must be > 0, got {temperature}");
        foreach (var y in trainLabels)
            if (y < 0 || y >= numClasses)
                throw new ArgumentException($"k-NN: train label {y} outside [0, {numClasses})");
    }
}
