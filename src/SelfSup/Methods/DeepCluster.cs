using SelfSup.Encoders;
using SelfSup.Evaluation;
using SelfSup.Heads;
using SelfSup.Numerics;
using SelfSup.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>DeepCluster hyperparameters (Caron et al. 2018, "Deep Clustering for Unsupervised Learning of Visual Features").</summary>
public sealed record DeepClusterOptions
{
    /// <summary>
    /// K, the k-means clusters and classifier outputs (paper: 10,000 for ImageNet's 1.28 M images, ≈ 10 × its 1,000
    /// classes; §6.1 finds over-segmentation helps). 100 here: 10 × CIFAR-10's classes, ≈ 500 images per cluster on
    /// 50,000 images. Must not exceed the training images.
    /// </summary>
    public int Clusters { get; init; } = 100;
    /// <summary>Principal components kept, whitened, before k-means (paper: 256 of AlexNet's 4,096 features; 128 here for 512-d ResNet features); capped at the feature width; 0: no PCA, the raw features are only L2-normalised.</summary>
    public int PcaDim { get; init; } = 128;
    /// <summary>Lloyd iterations of each epoch's k-means (official clustering.py: 20 faiss iterations, one run).</summary>
    public int KMeansIterations { get; init; } = 20;
    /// <summary>Linear + ReLU layers between the encoder and the classifier (paper: AlexNet's and VGG's two 4,096-wide fc layers; 0: the classifier sits on the encoder's features, as for a ResNet).</summary>
    public int MlpLayers { get; init; }
    /// <summary>Width of those layers (paper: 4,096); 0: the encoder's width.</summary>
    public int MlpHiddenDim { get; init; }
    /// <summary>
    /// Weigh each image's cross-entropy by N / (K·n_c), the inverse size of its cluster c, so every cluster counts
    /// equally in expectation, as the official sampler that draws the same number of images from each cluster does
    /// (paper §3.3 "Trivial parametrization": true).
    /// </summary>
    public bool BalanceClusters { get; init; } = true;
    /// <summary>Smallest crop area (fraction of the image) of the random resized crop (official code: torchvision's 0.08).</summary>
    public double CropMinScale { get; init; } = 0.08;
}

/// <summary>
/// DeepCluster (v1): at the start of every epoch the current encoder embeds the whole training set (eval mode, plain
/// normalised images, <see cref="Features.Extract"/>), the features are PCA-whitened (<see cref="PcaWhitening"/>),
/// L2-normalised and clustered with k-means (<see cref="KMeans"/>, then <see cref="EmptyClusters"/> so no cluster is
/// empty); each image's cluster becomes its pseudo-label, and a freshly initialised linear classifier (weights
/// N(0, 0.01²), bias 0) learns to predict it with the encoder (+ optional MLP) from one augmented view (random
/// resized crop + flip). Clusters are balanced by weighting the cross-entropy with the inverse cluster size
/// (<see cref="DeepClusterOptions.BalanceClusters"/>). The pseudo-labels, the clustering epoch, the class weights
/// and the clustering's statistics are buffers, so a run resumed mid-epoch trains on the same labels. Each step logs
/// <c>nmi_previous</c>, the NMI between this epoch's and the previous epoch's assignments (paper Figure 2b), and
/// <c>clustering_loss</c>, the k-means inertia per image. The representation is the encoder.
/// </summary>
public sealed class DeepCluster : SslMethod
{
    readonly Encoder encoder;
    readonly MlpHead? mlp;
    readonly Linear classifier;
    readonly Tensor assignments;
    readonly Tensor clusterWeights;
    readonly Tensor clusteredEpoch;
    readonly Tensor nmiPrevious;
    readonly Tensor clusteringLoss;

    /// <param name="trainImages">Rows of the training dataset (sizes the pseudo-label buffer); 0: sized by the first <see cref="BeforeEpoch"/>.</param>
    public DeepCluster(Encoder encoder, DeepClusterOptions options, int trainImages = 0) : base(nameof(DeepCluster), encoder)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        if (trainImages < 0) throw new ArgumentException($"deepcluster: train images must be ≥ 0, got {trainImages}");
        this.encoder = encoder;
        Options = options;
        var dim = encoder.EmbeddingDim;
        if (options.MlpLayers > 0)
        {
            var hidden = options.MlpHiddenDim > 0 ? options.MlpHiddenDim : encoder.EmbeddingDim;
            // The paper's fc6–fc7: Linear → ReLU blocks without BN; the last ReLU is applied in the step, because the
            // official code clusters the features before it.
            mlp = new MlpHead(MlpHeadOptions.Uniform(dim, hidden, hidden, options.MlpLayers) with { HiddenNorm = MlpNorm.None });
            dim = hidden;
        }
        classifier = nn.Linear(dim, options.Clusters);
        assignments = zeros(trainImages, ScalarType.Int64); // [N]
        clusterWeights = ones(options.Clusters); // [K]
        clusteredEpoch = tensor(-1L);
        nmiPrevious = tensor(-1.0);
        clusteringLoss = tensor(0.0);
        ResetClassifier(0);
        RegisterComponents();
    }

    public DeepClusterOptions Options { get; }

    /// <summary>The classifier over the K clusters, re-initialised after every clustering.</summary>
    public Linear Classifier => classifier;

    /// <summary>The optional MLP between encoder and classifier (null when <see cref="DeepClusterOptions.MlpLayers"/> is 0).</summary>
    public MlpHead? Mlp => mlp;

    /// <summary>The epoch whose clustering the pseudo-labels come from; −1 before the first clustering.</summary>
    public long ClusteredEpoch => clusteredEpoch.item<long>();

    /// <summary>The pseudo-label of every dataset row (a copy).</summary>
    public long[] Assignments
    {
        get
        {
            using var scope = NewDisposeScope();
            return assignments.cpu().data<long>().ToArray();
        }
    }

    /// <summary>NMI between the latest assignments and the previous epoch's; −1 before the second clustering.</summary>
    public double NmiPrevious => nmiPrevious.item<double>();

    public static MethodInfo Info { get; } = MethodInfo.Of(
        "deepcluster", "clustering",
        "Caron et al. 2018, Deep Clustering for Unsupervised Learning of Visual Features (arXiv:1807.05520)",
        "every epoch: embed the dataset, PCA-whiten, k-means; a fresh linear classifier learns the cluster ids as pseudo-labels",
        new Recipe
        {
            Source = "Caron et al. 2018 §4 and facebookresearch/deepcluster main.py: SGD momentum 0.9, lr 0.05, weight decay 1e-5 (10^-5), batch 256, no warm-up",
            Optimizer = OptimizerKind.Sgd,
            BaseLearningRate = 0.05,
            WeightDecay = 1e-5,
            WarmupEpochs = 0,
        },
        new DeepClusterOptions(),
        (ctx, o) => new DeepCluster(ctx.Encoder, o, ctx.TrainImages),
        (ctx, o) => MaeViews.ForImages(ctx.ImageSize, ctx.Stats, o.CropMinScale));

    /// <summary>
    /// Clusters the dataset and resets the classifier, unless this epoch's pseudo-labels are already there (a run
    /// resumed in the middle of the epoch loaded them from its checkpoint).
    /// </summary>
    public override void BeforeEpoch(EpochContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (ClusteredEpoch == context.Epoch && assignments.shape[0] == context.Dataset.Count) return;
        Cluster(context);
    }

    /// <summary>Embeds, whitens and clusters the whole dataset; stores the pseudo-labels and re-initialises the classifier.</summary>
    public void Cluster(EpochContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var data = context.Dataset;
        var k = Options.Clusters;
        if (k > data.Count) throw new ArgumentException($"deepcluster: clusters must be ≤ the training images ({data.Count}), got {k}");
        using var scope = NewDisposeScope();
        var features = Embed(context); // [N, F] on the device
        var x = Options.PcaDim > 0 ? PcaWhitening.Whiten(features, Options.PcaDim) : features.to(ScalarType.Float64); // [N, P]
        x = nn.functional.normalize(x, dim: 1).to(ScalarType.Float32);
        // A new k-means seed every epoch, as the official code draws one, so the initial centroids change.
        var seed = unchecked((int)(context.Seed * 1_000_003 + context.Epoch * 7_919 + 0xdc));
        using var fit = KMeans.Fit(x, k, new KMeansOptions { Restarts = 1, MaxIterations = Options.KMeansIterations, Seed = seed });
        var labels = EmptyClusters.Split(x, fit.Assignments, k);

        var previous = assignments.shape[0] == labels.Length && ClusteredEpoch >= 0 ? Assignments : null;
        var counts = new double[k];
        foreach (var c in labels) counts[c]++;
        using var noGrad = no_grad();
        // A method built without the dataset size takes it from the first clustering (set_ resizes the buffer in place).
        if (assignments.shape[0] != labels.Length) assignments.set_(zeros(labels.Length, ScalarType.Int64, assignments.device));
        assignments.copy_(tensor(labels));
        // N / (K·n_c): 1 for every image when the clusters are equal.
        clusterWeights.copy_(tensor(counts.Select(n => (float)(labels.Length / (k * n))).ToArray()));
        nmiPrevious.fill_(previous is null ? -1.0 : ClusteringMetrics.Nmi(previous, labels));
        clusteringLoss.fill_(fit.Inertia / labels.Length);
        clusteredEpoch.fill_(context.Epoch);
        ResetClassifier(context.Seed * 31 + context.Epoch + 1);
    }

    public override StepResult TrainingStep(TrainingBatch batch, StepContext context)
    {
        if (ClusteredEpoch < 0)
            throw new InvalidOperationException("deepcluster: no pseudo-labels yet; call BeforeEpoch (the Trainer does at every epoch start) to cluster the dataset before a step");
        var x = batch.SingleView("DeepCluster");                                  // [B, C, H, W]
        var h = encoder.forward(x);                                                // [B, D]
        var f = mlp is null ? h : nn.functional.relu(mlp.forward(h));              // [B, F]
        var logits = classifier.forward(f);                                        // [B, K]
        var targets = assignments.index_select(0, batch.Indices.to(assignments.device)); // [B]
        var loss = Options.BalanceClusters
            ? nn.functional.cross_entropy(logits, targets, weight: clusterWeights)
            : nn.functional.cross_entropy(logits, targets);
        var scalars = new Dictionary<string, Tensor>
        {
            ["embedding_std"] = Monitors.StdOfL2Normalized(h.detach()),
            ["clustering_loss"] = clusteringLoss.to(ScalarType.Float32),
        };
        if (NmiPrevious >= 0) scalars["nmi_previous"] = nmiPrevious.to(ScalarType.Float32);
        return new StepResult(loss, scalars);
    }

    /// <summary>The features k-means sees: the encoder's (and the MLP's, before its last ReLU) for every row, eval mode, [N, F].</summary>
    Tensor Embed(EpochContext context)
    {
        var features = Features.Extract(encoder, context.Dataset, context.Stats, context.Device).to(context.Device); // [N, D]
        if (mlp is null) return features;
        using var modes = new TrainingModeSnapshot(mlp);
        mlp.eval();
        using var noGrad = no_grad();
        return mlp.forward(features); // [N, F]
    }

    /// <summary>The official top layer's init: weights N(0, 0.01²), bias 0, drawn from a generator of its own.</summary>
    void ResetClassifier(long seed)
    {
        using var noGrad = no_grad();
        using var generator = new Generator(unchecked((ulong)seed));
        using var w = normal(0, 0.01, classifier.weight!.shape, generator: generator); // [K, F]
        classifier.weight.copy_(w);
        classifier.bias!.zero_();
    }

    static void Validate(DeepClusterOptions o)
    {
        if (o.Clusters < 2) throw new ArgumentException($"deepcluster: clusters must be ≥ 2, got {o.Clusters}");
        if (o.PcaDim < 0) throw new ArgumentException($"deepcluster: pca_dim must be ≥ 0 (0: no PCA), got {o.PcaDim}");
        if (o.KMeansIterations < 1) throw new ArgumentException($"deepcluster: k_means_iterations must be ≥ 1, got {o.KMeansIterations}");
        if (o.MlpLayers < 0) throw new ArgumentException($"deepcluster: mlp_layers must be ≥ 0, got {o.MlpLayers}");
        if (o.MlpHiddenDim < 0) throw new ArgumentException($"deepcluster: mlp_hidden_dim must be ≥ 0 (0: the encoder's width), got {o.MlpHiddenDim}");
        if (!(o.CropMinScale > 0 && o.CropMinScale <= 1)) throw new ArgumentException($"deepcluster: crop_min_scale must be in (0, 1], got {o.CropMinScale}");
    }
}
