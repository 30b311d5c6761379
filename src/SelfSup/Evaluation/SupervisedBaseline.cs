using System.Diagnostics;
using System.Globalization;
using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Encoders;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Evaluation;

/// <summary>
/// The supervised protocol of MedMNIST v2 (Yang et al. 2023, Scientific Data; experiments/MedMNIST2D/train_and_eval_pytorch.py):
/// an encoder and a linear head trained from random init on every training label with Adam (lr 1e-3, no weight
/// decay, batch 128), the rate × 0.1 at ⌊E/2⌋ and ⌊3E/4⌋ epochs (50 and 75 of 100), cross-entropy, no augmentation,
/// inputs scaled to (x − 0.5) / 0.5; after every epoch the validation AUC is measured and the weights of the epoch with
/// the best one (ties: the lower validation loss) are scored on the test split: ACC and AUC.
/// </summary>
public sealed record SupervisedOptions
{
    /// <summary>Epochs of training (MedMNIST v2: 100).</summary>
    public int Epochs { get; init; } = 100;

    /// <summary>Images per step (MedMNIST v2: 128); a last batch of one image is skipped (BatchNorm needs two).</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>Adam's rate before the first decay (MedMNIST v2: 0.001).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Where the rate is multiplied by <see cref="Gamma"/>, as fractions of <see cref="Epochs"/> (MedMNIST v2: 0.5 and 0.75).</summary>
    public IReadOnlyList<double> Milestones { get; init; } = [0.5, 0.75];

    /// <summary>The rate's factor at each milestone (MedMNIST v2: 0.1).</summary>
    public double Gamma { get; init; } = 0.1;

    /// <summary>Stop after the epoch that ends past this many minutes (null: run every epoch); the schedule still spans <see cref="Epochs"/>.</summary>
    public double? MaxMinutes { get; init; }

    /// <summary>Seeds the encoder's and head's init and the batch order.</summary>
    public int Seed { get; init; }

    public Device? Device { get; init; }

    public IProgress<string>? Log { get; init; }

    /// <summary>MedMNIST's input scaling: every channel to (x − 0.5) / 0.5.</summary>
    public static ChannelStats HalfStats(int channels) =>
        new(Enumerable.Repeat(0.5f, channels).ToArray(), Enumerable.Repeat(0.5f, channels).ToArray());

    /// <summary>The epochs (0-based) from which the rate is decayed once more: ⌊fraction × epochs⌋.</summary>
    public IReadOnlyList<int> MilestoneEpochs => Milestones.Select(m => (int)Math.Floor(m * Epochs)).ToArray();

    /// <summary>The rate of epoch <paramref name="epoch"/> (0-based): lr × γ^(milestones at or before it).</summary>
    public double LearningRateAt(int epoch) => LearningRate * Math.Pow(Gamma, MilestoneEpochs.Count(m => m <= epoch));

    internal void Validate()
    {
        if (Epochs <= 0) throw new ArgumentException($"--epochs: expected a positive number, got {Epochs}");
        if (BatchSize < 2) throw new ArgumentException($"--batch-size: expected at least 2 (BatchNorm trains on batch statistics), got {BatchSize}");
        if (!(LearningRate > 0)) throw new ArgumentException($"--lr: expected a positive number, got {LearningRate}");
        if (!(Gamma > 0 && Gamma <= 1)) throw new ArgumentException($"gamma: expected a number in (0, 1], got {Gamma}");
        if (Milestones.Any(m => !(m > 0 && m < 1))) throw new ArgumentException($"milestones: expected fractions in (0, 1), got {string.Join(", ", Milestones)}");
        if (MaxMinutes is { } t && !(t > 0)) throw new ArgumentException($"--max-minutes: expected a positive number, got {t}");
    }
}

/// <summary>One epoch of <see cref="SupervisedBaseline.Run"/>: its rate, mean training loss and the validation scores.</summary>
public sealed record SupervisedEpoch(
    [property: System.Text.Json.Serialization.JsonPropertyName("epoch")] int Epoch,
    [property: System.Text.Json.Serialization.JsonPropertyName("lr")] double LearningRate,
    [property: System.Text.Json.Serialization.JsonPropertyName("train_loss")] double TrainLoss,
    [property: System.Text.Json.Serialization.JsonPropertyName("val_auc")] double ValAuc,
    [property: System.Text.Json.Serialization.JsonPropertyName("val_acc")] double ValAcc,
    [property: System.Text.Json.Serialization.JsonPropertyName("val_loss")] double ValLoss,
    [property: System.Text.Json.Serialization.JsonPropertyName("seconds")] double Seconds);

/// <summary>Trains and scores the supervised baseline (<see cref="SupervisedOptions"/>); reuses the fine-tuning model and early-stopping snapshot.</summary>
public static class SupervisedBaseline
{
    /// <summary>
    /// Trains <paramref name="build"/>() (a freshly initialised encoder) and a linear head on all of
    /// <paramref name="train"/>, keeps the epoch with the best AUC on <paramref name="val"/> and scores it on
    /// <paramref name="test"/>.
    /// </summary>
    public static SupervisedBaselineResults Run(Func<Encoder> build, ImageDataset train, ImageDataset val, ImageDataset test, SupervisedOptions options)
    {
        ArgumentNullException.ThrowIfNull(build);
        options.Validate();
        var labels = train.Labels ?? throw new ArgumentException($"supervised baseline: dataset '{train.Name}' has no labels");
        if (val.Labels is null || test.Labels is null) throw new ArgumentException("supervised baseline: the validation and test splits need labels");
        if (train.Count < 2) throw new ArgumentException($"supervised baseline: need at least 2 training images, '{train.Name}' has {train.Count}");
        var device = options.Device ?? CPU;
        var stats = SupervisedOptions.HalfStats(train.Channels);
        var numClasses = Math.Max(train.NumClasses, Math.Max(val.NumClasses, test.NumClasses));
        var clock = Stopwatch.StartNew();

        manual_seed(options.Seed);
        var encoder = build();
        var head = nn.Linear(encoder.EmbeddingDim, numClasses);
        encoder.to(device);
        head.to(device);
        using var model = new FineTunedModel(encoder, null, head, FineTuneStages.Of(encoder), frozenStages: 0);
        using var optimizer = optim.Adam(model.Modules.SelectMany(m => m.parameters()), options.LearningRate);
        // The fine-tuner's snapshot of the best epoch, fed validation AUC where it takes top-1 (ties: the lower loss); no patience.
        using var best = new FineTuneEarlyStopping(null, [.. model.Modules]);
        var rng = new Random(unchecked(options.Seed * 1_000_003 + 0x5EB));
        var batch = Math.Min(options.BatchSize, train.Count);
        var steps = train.Count / batch + (train.Count % batch >= 2 ? 1 : 0);
        var history = new List<SupervisedEpoch>();
        for (var epoch = 0; epoch < options.Epochs; epoch++)
        {
            var lr = options.LearningRateAt(epoch);
            optimizer.ParamGroups.First().LearningRate = lr;
            model.SetTrainingMode();
            var order = Enumerable.Range(0, train.Count).Select(i => (long)i).ToArray();
            rng.Shuffle(order);
            double lossSum = 0;
            for (var b = 0; b < steps; b++)
            {
                using var scope = NewDisposeScope();
                var rows = order.AsSpan(b * batch, Math.Min(batch, order.Length - b * batch)).ToArray();
                var x = stats.ToModelInput(train.Rows(rows), device);                              // [B, C, H, W]
                var y = tensor(rows.Select(r => labels[r]).ToArray(), ScalarType.Int64, device); // [B]
                var loss = nn.functional.cross_entropy(model.Forward(x), y);
                var value = loss.item<float>();
                if (!float.IsFinite(value))
                    throw new InvalidOperationException($"supervised baseline: loss became {value} at epoch {epoch + 1}; lower --lr (now {options.LearningRate})");
                lossSum += value;
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
            }
            var (auc, acc, valLoss) = Validate(model, val, stats);
            best.Observe(epoch, auc, valLoss);
            var record = new SupervisedEpoch(epoch, lr, lossSum / steps, auc, acc, valLoss, Math.Round(clock.Elapsed.TotalSeconds, 1));
            history.Add(record);
            options.Log?.Report(string.Create(CultureInfo.InvariantCulture,
                $"epoch {epoch + 1}/{options.Epochs}: lr {lr:G3}, loss {record.TrainLoss:F4}, val AUC {auc:F4}, val ACC {acc:F4} ({clock.Elapsed.TotalSeconds:F0} s)"));
            if (options.MaxMinutes is { } limit && clock.Elapsed.TotalMinutes > limit && epoch + 1 < options.Epochs)
            {
                options.Log?.Report($"stopping after epoch {epoch + 1}: past --max-minutes {limit.ToString(CultureInfo.InvariantCulture)}");
                break;
            }
        }
        best.RestoreBest();
        var score = model.Test(test, stats);
        using var testLogits = model.Logits(test, stats); // [N_test, classes]
        return new SupervisedBaselineResults
        {
            Dataset = train.Name,
            Encoder = model.Encoder.GetName(),
            TrainImages = train.Count,
            ValImages = val.Count,
            TestImages = test.Count,
            Epochs = options.Epochs,
            EpochsRun = history.Count,
            BatchSize = options.BatchSize,
            LearningRate = options.LearningRate,
            MilestoneEpochs = options.MilestoneEpochs,
            Gamma = options.Gamma,
            Seed = options.Seed,
            BestEpoch = best.BestEpoch,
            BestValAuc = history[best.BestEpoch].ValAuc,
            TestAcc = score.Top1 / 100,
            TestAuc = MeanOneVsRestAuroc(testLogits, test.Labels),
            History = history,
            Seconds = Math.Round(clock.Elapsed.TotalSeconds, 1),
        };
    }

    /// <summary>Validation AUC (<see cref="MeanOneVsRestAuroc"/>), accuracy (fraction) and mean cross-entropy.</summary>
    static (double Auc, double Acc, double Loss) Validate(FineTunedModel model, ImageDataset val, ChannelStats stats)
    {
        using var scope = NewDisposeScope();
        var logits = model.Logits(val, stats); // [N, classes]
        var y = tensor(val.Labels!, ScalarType.Int64); // [N]
        var acc = logits.argmax(1).eq(y).to(ScalarType.Float64).mean().item<double>();
        var loss = nn.functional.cross_entropy(logits, y).item<float>();
        return (MeanOneVsRestAuroc(logits, val.Labels!), acc, loss);
    }

    /// <summary>
    /// MedMNIST's AUC of a single-label task: the mean over classes of the AUROC of that class's softmax probability,
    /// one class against the rest (classes absent from <paramref name="labels"/> or present alone are skipped). For two
    /// classes it is the AUROC of the class-1 probability, as <see cref="ClassifierScore"/>'s log-odds give it.
    /// </summary>
    public static double MeanOneVsRestAuroc(Tensor logits, long[] labels)
    {
        if (logits.dim() != 2 || logits.shape[0] != labels.Length) throw new ArgumentException($"AUC: logits [{string.Join(", ", logits.shape)}] do not match {labels.Length} labels");
        using var scope = NewDisposeScope();
        var probs = logits.detach().to(CPU).to(ScalarType.Float64).softmax(1); // [N, C]
        var values = probs.data<double>().ToArray();
        var classes = (int)logits.shape[1];
        var aucs = new List<double>();
        for (var c = 0; c < classes; c++)
        {
            var positives = Enumerable.Range(0, labels.Length).Where(i => labels[i] == c).Select(i => values[i * classes + c]).ToList();
            var negatives = Enumerable.Range(0, labels.Length).Where(i => labels[i] != c).Select(i => values[i * classes + c]).ToList();
            if (positives.Count > 0 && negatives.Count > 0) aucs.Add(OutOfDistribution.Auroc(negatives, positives));
        }
        return aucs.Count > 0 ? aucs.Average() : throw new ArgumentException("AUC: the labels hold a single class");
    }
}
