using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Training;

/// <summary>
/// The Trainer's optimizer: SGD, LARS or AdamW over two parameter groups — weights with weight decay, and
/// norms/biases (every parameter with ≤ 1 dimension) without it, as in SimCLR/BYOL/MAE. LARS is momentum SGD
/// whose gradients are first rescaled per tensor by the trust ratio η‖w‖/‖g + λw‖; excluded parameters keep
/// their plain gradient (no decay, no adaptation).
/// </summary>
public sealed class TrainingOptimizer : IDisposable
{
    readonly optim.Optimizer inner;
    readonly List<Parameter> decayed;
    readonly List<Parameter> excluded;
    readonly OptimizerKind kind;
    double weightDecay;
    readonly double larsEta;

    public TrainingOptimizer(IEnumerable<Parameter> parameters, OptimizerKind kind, double learningRate, double weightDecay,
        double momentum = 0.9, (double, double)? adamBetas = null, double larsEta = 0.001)
    {
        if (!(learningRate >= 0)) throw new ArgumentException($"learning rate must be ≥ 0, got {learningRate}");
        if (!(weightDecay >= 0)) throw new ArgumentException($"weight decay must be ≥ 0, got {weightDecay}");
        var trainable = parameters.Where(p => p.requires_grad).ToList();
        decayed = trainable.Where(p => p.dim() > 1).ToList();
        excluded = trainable.Where(p => p.dim() <= 1).ToList();
        this.kind = kind;
        this.weightDecay = weightDecay;
        this.larsEta = larsEta;
        var (beta1, beta2) = adamBetas ?? (0.9, 0.999);
        inner = kind switch
        {
            OptimizerKind.Sgd => optim.SGD(
                [new SGD.ParamGroup(decayed, new SGD.Options { LearningRate = learningRate, momentum = momentum, weight_decay = weightDecay }),
                 new SGD.ParamGroup(excluded, new SGD.Options { LearningRate = learningRate, momentum = momentum, weight_decay = 0 })],
                learningRate, momentum),
            // LARS applies its own decay before the trust ratio, so the inner SGD has none.
            OptimizerKind.Lars => optim.SGD(
                [new SGD.ParamGroup(decayed, new SGD.Options { LearningRate = learningRate, momentum = momentum, weight_decay = 0 }),
                 new SGD.ParamGroup(excluded, new SGD.Options { LearningRate = learningRate, momentum = momentum, weight_decay = 0 })],
                learningRate, momentum),
            OptimizerKind.AdamW => optim.AdamW(
                [new AdamW.ParamGroup(decayed, new AdamW.Options { LearningRate = learningRate, beta1 = beta1, beta2 = beta2, weight_decay = weightDecay }),
                 new AdamW.ParamGroup(excluded, new AdamW.Options { LearningRate = learningRate, beta1 = beta1, beta2 = beta2, weight_decay = 0 })],
                learningRate, beta1, beta2, weight_decay: weightDecay),
            _ => throw new ArgumentException($"unknown optimizer {kind}"),
        };
    }

    /// <summary>Number of parameter tensors with and without weight decay.</summary>
    public (int Decayed, int Excluded) GroupSizes => (decayed.Count, excluded.Count);

    public void SetLearningRate(double lr)
    {
        foreach (var g in inner.ParamGroups) g.LearningRate = lr;
    }

    /// <summary>Sets the weight decay of the decayed group (norms and biases stay undecayed), for weight-decay schedules.</summary>
    public void SetWeightDecay(double wd)
    {
        if (!(wd >= 0)) throw new ArgumentException($"weight decay must be ≥ 0, got {wd}");
        weightDecay = wd;
        if (kind == OptimizerKind.Lars) return; // LARS applies its decay itself, before the trust ratio
        switch (inner.ParamGroups.First())
        {
            case SGD.ParamGroup g: g.Options.weight_decay = wd; break;
            case AdamW.ParamGroup g: g.Options.weight_decay = wd; break;
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
        foreach (var p in decayed)
        {
            var g = p.grad;
            if (g is null) continue;
            if (weightDecay > 0) g.add_(p, alpha: weightDecay);
            var wNorm = p.norm();
            var gNorm = g.norm();
            // trust = η‖w‖/‖g‖ where both norms are positive, else 1 (as in the reference LARS implementations).
            var trust = where((wNorm > 0).logical_and(gNorm > 0), wNorm.mul(larsEta).div(gNorm), ones_like(wNorm));
            g.mul_(trust);
        }
    }

    public void Save(BinaryWriter writer) => ((OptimizerHelper)inner).save_state_dict(writer);

    public void Load(BinaryReader reader) => ((OptimizerHelper)inner).load_state_dict(reader);

    public void Dispose() => inner.Dispose();
}
