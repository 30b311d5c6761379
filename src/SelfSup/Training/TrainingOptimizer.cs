using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Training;

/// <summary>
/// The Trainer's optimizer: SGD, LARS or AdamW over two parameter groups — weights with weight decay, and
/// norms/biases (every parameter with ≤ 1 dimension) without it, as in SimCLR/BYOL/MAE. LARS is momentum SGD
/// whose gradients are first rescaled per tensor by the trust ratio η‖w‖/‖g + λw‖ (η 0.001 as in the SwAV/BYOL LARC;
/// solo-learn's CIFAR recipes use η 0.02 with clipping, where the tensor's rate is min(η‖w‖/‖g‖, lr) instead of
/// lr·η‖w‖/‖g‖); excluded parameters keep their plain gradient (no decay, no adaptation). Parameters named as fixed-rate (a method's
/// <c>FixedLearningRateParameters</c>, e.g. SimSiam's predictor) form two more groups, split the same way, that keep
/// the constructor's rate: <see cref="SetLearningRate"/> (the schedule) leaves them alone.
/// </summary>
public sealed class TrainingOptimizer : IDisposable
{
    readonly optim.Optimizer inner;
    readonly List<Parameter> decayed;
    readonly List<Parameter> excluded;
    readonly List<Parameter> fixedRate;
    /// <summary>The fixed-rate parameters, by reference (LARS's clipping compares each tensor with its own group's rate).</summary>
    readonly HashSet<object> isFixed;
    readonly int[] decayGroups;
    readonly OptimizerKind kind;
    double weightDecay;
    readonly double larsEta;
    readonly bool larsClip;

    /// <summary>LARS's trust coefficient η in the SwAV and BYOL code (apex LARC).</summary>
    public const double DefaultLarsEta = 0.001;

    /// <summary>The first two parameter groups (decayed, excluded) follow <see cref="SetLearningRate"/>; the fixed-rate ones after them keep their rate.</summary>
    const int ScheduledGroups = 2;

    /// <param name="fixedLearningRate">
    /// Parameters whose rate stays at <paramref name="learningRate"/> whatever <see cref="SetLearningRate"/> sets
    /// (compared by reference with <paramref name="parameters"/>); null or empty: every parameter follows the schedule.
    /// </param>
    public TrainingOptimizer(IEnumerable<Parameter> parameters, OptimizerKind kind, double learningRate, double weightDecay,
        double momentum = 0.9, (double, double)? adamBetas = null, double larsEta = DefaultLarsEta, IEnumerable<Parameter>? fixedLearningRate = null, bool larsClip = false)
    {
        if (!(learningRate >= 0)) throw new ArgumentException($"learning rate must be ≥ 0, got {learningRate}");
        if (!(weightDecay >= 0)) throw new ArgumentException($"weight decay must be ≥ 0, got {weightDecay}");
        if (!(larsEta > 0)) throw new ArgumentException($"LARS trust coefficient must be > 0, got {larsEta}");
        var trainable = parameters.Where(p => p.requires_grad).ToList();
        isFixed = new HashSet<object>(fixedLearningRate ?? [], ReferenceEqualityComparer.Instance);
        decayed = trainable.Where(p => p.dim() > 1).ToList();
        excluded = trainable.Where(p => p.dim() <= 1).ToList();
        fixedRate = trainable.Where(isFixed.Contains).ToList();
        this.kind = kind;
        this.weightDecay = weightDecay;
        this.larsEta = larsEta;
        this.larsClip = larsClip;
        var (beta1, beta2) = adamBetas ?? (0.9, 0.999);
        // Scheduled groups first (decayed, excluded), then the fixed-rate ones (decayed, excluded) when there are any.
        var groups = new List<(List<Parameter> Parameters, bool Decay)>
        {
            (decayed.Where(p => !isFixed.Contains(p)).ToList(), true),
            (excluded.Where(p => !isFixed.Contains(p)).ToList(), false),
        };
        if (fixedRate.Count > 0)
        {
            groups.Add((decayed.Where(isFixed.Contains).ToList(), true));
            groups.Add((excluded.Where(isFixed.Contains).ToList(), false));
        }
        // LARS applies its own decay before the trust ratio, so the inner SGD has none.
        double GroupDecay(bool decay) => decay && kind != OptimizerKind.Lars ? weightDecay : 0;
        inner = kind switch
        {
            OptimizerKind.Sgd or OptimizerKind.Lars => optim.SGD(
                groups.Select(g => new SGD.ParamGroup(g.Parameters, new SGD.Options { LearningRate = learningRate, momentum = momentum, weight_decay = GroupDecay(g.Decay) })),
                learningRate, momentum),
            OptimizerKind.AdamW => optim.AdamW(
                groups.Select(g => new AdamW.ParamGroup(g.Parameters, new AdamW.Options { LearningRate = learningRate, beta1 = beta1, beta2 = beta2, weight_decay = GroupDecay(g.Decay) })),
                learningRate, beta1, beta2, weight_decay: weightDecay),
            _ => throw new ArgumentException($"unknown optimizer {kind}"),
        };
        decayGroups = groups.Select((g, i) => (g, i)).Where(x => x.g.Decay).Select(x => x.i).ToArray();
    }

    /// <summary>The optimiser a run's settings ask for: kind, rate, decay, momentum, betas and LARS's η and clipping.</summary>
    public static TrainingOptimizer For(RunConfig config, IEnumerable<Parameter> parameters, IEnumerable<Parameter>? fixedLearningRate = null) =>
        new(parameters, config.Optimizer, config.LearningRate, config.WeightDecay, config.Momentum, (config.AdamBeta1, config.AdamBeta2),
            config.LarsEta, fixedLearningRate, config.LarsClip);

    /// <summary>Number of parameter tensors with and without weight decay (fixed-rate ones included).</summary>
    public (int Decayed, int Excluded) GroupSizes => (decayed.Count, excluded.Count);

    /// <summary>Number of parameter tensors whose rate stays fixed.</summary>
    public int FixedRateCount => fixedRate.Count;

    /// <summary>Sets the rate of every parameter but the fixed-rate ones.</summary>
    public void SetLearningRate(double lr)
    {
        foreach (var g in inner.ParamGroups.Take(ScheduledGroups)) g.LearningRate = lr;
    }

    /// <summary>Sets the weight decay of the decayed groups (norms and biases stay undecayed), for weight-decay schedules.</summary>
    public void SetWeightDecay(double wd)
    {
        if (!(wd >= 0)) throw new ArgumentException($"weight decay must be ≥ 0, got {wd}");
        weightDecay = wd;
        if (kind == OptimizerKind.Lars) return; // LARS applies its decay itself, before the trust ratio
        foreach (var i in decayGroups)
        {
            switch (inner.ParamGroups.ElementAt(i))
            {
                case SGD.ParamGroup g: g.Options.weight_decay = wd; break;
                case AdamW.ParamGroup g: g.Options.weight_decay = wd; break;
            }
        }
    }

    public void ZeroGrad() => inner.zero_grad();

    public void Step()
    {
        if (kind == OptimizerKind.Lars) ApplyTrustRatio();
        inner.step();
    }

    void ApplyTrustRatio()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var scheduledLr = inner.ParamGroups.First().LearningRate;
        var fixedLr = inner.ParamGroups.Count() > ScheduledGroups ? inner.ParamGroups.ElementAt(ScheduledGroups).LearningRate : scheduledLr;
        foreach (var p in decayed)
        {
            var g = p.grad;
            if (g is null) continue;
            if (weightDecay > 0) g.add_(p, alpha: weightDecay);
            var wNorm = p.norm();
            var gNorm = g.norm();
            // trust = η‖w‖/‖g‖ where both norms are positive, else 1 (as in the reference LARS implementations).
            var trust = where((wNorm > 0).logical_and(gNorm > 0), wNorm.mul(larsEta).div(gNorm), ones_like(wNorm));
            if (larsClip)
            {
                var lr = isFixed.Contains(p) ? fixedLr : scheduledLr;
                // solo-learn's clip_lr: η‖w‖/‖g‖ is the step size itself, capped at the scheduled rate.
                if (lr > 0) trust = trust.div(lr).clamp_max(1.0);
            }
            g.mul_(trust);
        }
    }

    public void Save(BinaryWriter writer) => ((OptimizerHelper)inner).save_state_dict(writer);

    public void Load(BinaryReader reader) => ((OptimizerHelper)inner).load_state_dict(reader);

    public void Dispose() => inner.Dispose();
}
