using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Encoders;
using SelfSup.Encoders.Transformer;
using SelfSup.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using SelfSup.Progress;

namespace SelfSup.Evaluation;

/// <summary>One fine-tuning epoch: mean training loss and, when a validation split exists, its top-1 (%) and loss.</summary>
public sealed record FineTuneEpoch(int Epoch, double TrainLoss, double? ValTop1, double? ValLoss);

/// <summary>
/// Trains an encoder and a linear head end to end on labelled images (<see cref="FineTuneOptions"/>). The encoder is
/// always a fresh one built by the caller's factory; pretrained weights are copied into it, so the pretrained
/// encoder itself is never modified. A mean-pooled ViT gets MAE's fc_norm between its pooled patch tokens and the
/// head (<see cref="FineTunedModel"/>); rates and weight decay per parameter follow <see cref="FineTuneParamGroups"/>.
/// </summary>
public static class FineTuner
{
    /// <summary>
    /// Fine-tunes <paramref name="build"/>() initialised from <paramref name="pretrained"/> (null: train from the
    /// factory's random init) on <paramref name="labeled"/>, normalised with <paramref name="stats"/>.
    /// </summary>
    public static FineTunedModel Fit(Func<Encoder> build, Encoder? pretrained, ImageDataset labeled, ChannelStats stats, FineTuneOptions options)
    {
        ArgumentNullException.ThrowIfNull(build);
        ArgumentNullException.ThrowIfNull(labeled);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var labels = labeled.Labels ?? throw new ArgumentException($"fine-tune: dataset '{labeled.Name}' has no labels");
        var device = options.Device ?? pretrained?.parameters().FirstOrDefault()?.device ?? CPU;
        var numClasses = labeled.NumClasses;

        var encoder = build();
        Linear? head = null;
        LayerNorm? fcNorm = null;
        try
        {
            encoder.to(device);
            if (pretrained is not null) CopyWeights(pretrained, encoder);
            var stages = CheckFrozenStages(encoder, options.FrozenStages);
            manual_seed(options.Seed);
            head = nn.Linear(encoder.EmbeddingDim, numClasses);
            head.to(device);
            if (FineTunedModel.UsesFcNorm(encoder, options.GlobalPool))
            {
                fcNorm = nn.LayerNorm(encoder.EmbeddingDim, eps: TransformerBlock.LayerNormEps); // fresh: weight 1, bias 0
                fcNorm.to(device);
            }
            var model = new FineTunedModel(encoder, fcNorm, head, stages, options.FrozenStages);
            Train(model, labeled, labels, stats, device, options, headFromProbe: pretrained is not null && options.HeadFromProbe);
            return model;
        }
        catch
        {
            head?.Dispose();
            fcNorm?.Dispose();
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>The encoder's stages; throws, naming them, when <paramref name="frozenStages"/> exceeds their count.</summary>
    public static IReadOnlyList<EncoderStage> CheckFrozenStages(Encoder encoder, int frozenStages)
    {
        var stages = FineTuneStages.Of(encoder);
        if (frozenStages > stages.Count)
            throw new ArgumentException(
                $"freeze_stages: {encoder.GetName()} has {stages.Count} stages ({string.Join(", ", stages.Select(s => s.Name))}), cannot freeze {frozenStages}");
        return stages;
    }

    /// <summary>Copies every parameter and buffer of <paramref name="from"/> into the same-named tensor of <paramref name="to"/>.</summary>
    public static void CopyWeights(nn.Module from, nn.Module to)
    {
        var source = from.state_dict();
        var target = to.state_dict();
        var missing = target.Keys.Where(k => !source.ContainsKey(k)).ToList();
        var extra = source.Keys.Where(k => !target.ContainsKey(k)).ToList();
        if (missing.Count > 0 || extra.Count > 0)
            throw new ArgumentException(
                $"fine-tune: pretrained encoder '{from.GetName()}' does not match the architecture '{to.GetName()}' " +
                $"(missing: {string.Join(", ", missing.Take(3))}; unexpected: {string.Join(", ", extra.Take(3))})");
        using var noGrad = no_grad();
        foreach (var (name, t) in target)
        {
            var s = source[name];
            if (!s.shape.SequenceEqual(t.shape))
                throw new ArgumentException($"fine-tune: '{name}' is [{string.Join(", ", s.shape)}] in the pretrained encoder but [{string.Join(", ", t.shape)}] in the new one");
            t.copy_(s);
        }
    }

    /// <summary>
    /// Holds out ⌊fraction × count⌋ random images of every class (seeded) for validation; the rest trains.
    /// Returns row indices into <paramref name="labels"/>, each list in increasing order.
    /// </summary>
    public static (long[] Train, long[] Validation) SplitValidation(long[] labels, double fraction, int seed)
    {
        var rng = new Random(seed);
        var held = new bool[labels.Length];
        foreach (var group in Enumerable.Range(0, labels.Length).GroupBy(i => labels[i]).OrderBy(g => g.Key))
        {
            var rows = group.ToArray();
            rng.Shuffle(rows);
            foreach (var r in rows.AsSpan(0, (int)Math.Floor(fraction * rows.Length))) held[r] = true;
        }
        var all = Enumerable.Range(0, labels.Length);
        return (all.Where(i => !held[i]).Select(i => (long)i).ToArray(), all.Where(i => held[i]).Select(i => (long)i).ToArray());
    }

    static void Train(FineTunedModel model, ImageDataset labeled, long[] labels, ChannelStats stats, Device device, FineTuneOptions o, bool headFromProbe)
    {
        var (trainRows, valRows) = SplitValidation(labels, o.ValidationFraction, o.Seed);
        using var train = labeled.Subset(trainRows, labeled.Name + "-train");
        using var val = valRows.Length > 0 ? labeled.Subset(valRows, labeled.Name + "-val") : null;
        if (train.Count < 2) throw new ArgumentException($"fine-tune: need at least 2 training images, '{labeled.Name}' leaves {train.Count}");
        model.TrainImages = train.Count;
        model.ValidationImages = val?.Count ?? 0;
        if (headFromProbe) InitHeadFromProbe(model, train, stats, device, o.HeadProbe);

        var batch = Math.Min(o.BatchSize, train.Count);
        // A last batch of one image would make BatchNorm's batch statistics undefined; it is skipped.
        var stepsPerEpoch = train.Count / batch + (train.Count % batch >= 2 ? 1 : 0);
        var epochs = Math.Max(o.Epochs, (o.MinSteps + stepsPerEpoch - 1) / stepsPerEpoch);
        long totalSteps = (long)epochs * stepsPerEpoch;
        var schedule = Schedules.WarmupCosine(1.0, totalSteps, (long)Math.Round(o.WarmupFraction * totalSteps));

        var (optimizer, baseLrs) = BuildOptimizer(model, o);
        using var _ = optimizer;
        var views = new ViewPipeline(Transforms(train.Height, o), stats);
        using var generator = new Generator((ulong)o.Seed);
        using var stopping = new FineTuneEarlyStopping(o.Patience, [.. model.Modules]);
        var rng = new Random(unchecked(o.Seed * 1_000_003 + 0xF17E)); // not HashCode.Combine: it is randomised per process
        var trainLabels = train.Labels!;
        long step = 0;
        using var meter = WorkProgress.Start("fine-tune", (long)epochs * stepsPerEpoch, "steps");
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            model.SetTrainingMode();
            var order = Enumerable.Range(0, train.Count).Select(i => (long)i).ToArray();
            rng.Shuffle(order);
            double lossSum = 0;
            for (var b = 0; b < stepsPerEpoch; b++, step++)
            {
                using var scope = NewDisposeScope();
                var rows = order.AsSpan(b * batch, Math.Min(batch, order.Length - b * batch)).ToArray();
                var x = ChannelStats.ToUnitFloat(train.Rows(rows), device); // [B, C, H, W] in [0, 1]
                var y = tensor(rows.Select(r => trainLabels[r]).ToArray(), ScalarType.Int64, device); // [B]
                var logits = model.Forward(views.Apply(x, generator)); // [B, classes]
                var loss = nn.functional.cross_entropy(logits, y);
                var value = loss.item<float>();
                if (!float.IsFinite(value))
                    throw new InvalidOperationException($"fine-tune: loss became {value} at epoch {epoch + 1}, step {step + 1}; lower the learning rate (lr {o.LearningRate})");
                lossSum += value;
                for (var g = 0; g < baseLrs.Length; g++) optimizer.ParamGroups.ElementAt(g).LearningRate = baseLrs[g] * schedule[step];
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                meter.Advance();
            }
            var record = new FineTuneEpoch(epoch, lossSum / stepsPerEpoch, null, null);
            var stop = false;
            if (val is not null)
            {
                var (top1, valLoss) = model.Score(val, stats);
                record = record with { ValTop1 = top1, ValLoss = valLoss };
                // Neither stopping nor the kept weights come from before MinSteps. On a tiny set an epoch is one or
                // two steps: a patience counted in epochs would end training after a few dozen steps, and a
                // validation set of a few dozen images ties often, so "best top-1, then lowest loss" would keep an
                // undertrained early epoch (its loss is not yet overconfident), the from-scratch arm most often.
                if (step >= o.MinSteps) stop = stopping.Observe(epoch, top1, valLoss);
            }
            model.AddEpoch(record);
            o.Log?.Report($"fine-tune epoch {epoch + 1}/{epochs}: loss {record.TrainLoss:F4}" +
                          (record.ValTop1 is { } v ? $", val top-1 {v:F1}%" : ""));
            if (stop) break;
        }
        if (val is not null)
        {
            stopping.RestoreBest();
            model.BestEpoch = stopping.BestEpoch;
        }
        else model.BestEpoch = model.History.Count - 1;
        model.SetEvalMode();
    }

    /// <summary>The head := a linear probe fitted on what the head sees of <paramref name="train"/> (eval mode, still pretrained).</summary>
    static void InitHeadFromProbe(FineTunedModel model, ImageDataset train, ChannelStats stats, Device device, LinearProbeOptions probe)
    {
        using var scope = NewDisposeScope();
        var features = model.Features(train, stats).to(device); // [N, D]
        using var classifier = LinearProbe.Fit(features, train.Labels!, (int)model.Head.weight!.shape[0], probe);
        using var noGrad = no_grad();
        model.Head.weight!.copy_(classifier.Weight.t());
        model.Head.bias!.copy_(classifier.Bias);
    }

    static List<IBatchTransform> Transforms(int imageSize, FineTuneOptions o)
    {
        var t = new List<IBatchTransform> { new RandomResizedCrop(imageSize, (o.CropMinScale, 1.0)) };
        if (o.HorizontalFlip) t.Add(new RandomHorizontalFlip(0.5));
        return t;
    }

    /// <summary>The optimizer over <see cref="FineTuneParamGroups.Of"/>; returns each group's peak rate.</summary>
    static (optim.Optimizer Optimizer, double[] BaseLrs) BuildOptimizer(FineTunedModel model, FineTuneOptions o)
    {
        var groups = FineTuneParamGroups.Of(model, o);
        optim.Optimizer optimizer = o.Optimizer == OptimizerKind.Sgd
            ? optim.SGD(groups.Select(g => new SGD.ParamGroup(g.Parameters, new SGD.Options { LearningRate = g.LearningRate, momentum = o.Momentum, weight_decay = g.WeightDecay })), o.LearningRate, o.Momentum)
            : optim.AdamW(groups.Select(g => new AdamW.ParamGroup(g.Parameters, new AdamW.Options { LearningRate = g.LearningRate, weight_decay = g.WeightDecay })), o.LearningRate);
        return (optimizer, groups.Select(g => g.LearningRate).ToArray());
    }
}
