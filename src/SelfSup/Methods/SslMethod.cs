using SelfSup.Encoders;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>What one training step returns: the loss to back-propagate and named scalars to log.</summary>
public sealed record StepResult(Tensor Loss, IReadOnlyDictionary<string, Tensor> Scalars)
{
    public StepResult(Tensor loss) : this(loss, new Dictionary<string, Tensor>()) { }
}

/// <summary>
/// A self-supervised method: an encoder plus its heads, loss and any teacher/queue state, all submodules so they
/// are saved in checkpoints. The method owns everything that differs between methods — its step, its hooks, what
/// downstream use sees (<see cref="Representation"/>) and its recipe (<see cref="MethodInfo.Recipe"/>); the Trainer
/// owns the loop and calls, per step: views → <see cref="TrainingStep"/> → backward →
/// <see cref="BeforeOptimizerStep"/> → optimizer step → <see cref="AfterOptimizerStep"/>, and
/// <see cref="BeforeEpoch"/> when an epoch starts (or resumes).
/// </summary>
public abstract class SslMethod : nn.Module
{
    readonly Encoder? imageEncoder;

    protected SslMethod(string name, Encoder encoder) : base(name)
    {
        imageEncoder = encoder;
    }

    /// <summary>A method without an image backbone: a <see cref="TextMethod"/>, whose representation is a text encoder.</summary>
    private protected SslMethod(string name) : base(name) { }

    /// <summary>The image backbone being pretrained; a <see cref="TextMethod"/> has none and throws, naming its text encoder.</summary>
    public Encoder Encoder => imageEncoder
        ?? throw new InvalidOperationException($"{GetName()} is a text method: its representation is a text encoder (TextMethod.TextRepresentation), not an image encoder");

    /// <summary>
    /// What downstream use sees: eval, embed, the online probe, the collapse monitor, fine-tuning and the random-init
    /// twin all take this. The default is <see cref="Encoder"/>; a method whose representation is something else (a
    /// VAE's μ, a split-brain concatenation, a PCA projection) overrides it with a module owned by the method.
    /// </summary>
    public virtual Encoder Representation => Encoder;

    /// <summary>
    /// Parameters whose learning rate stays at the run's peak rate while every other parameter follows the warm-up +
    /// cosine schedule (SimSiam's predictor, Chen and He 2021 §4.4: "fix_pred_lr"). Weight decay still applies as
    /// for any parameter. None by default.
    /// </summary>
    public virtual IEnumerable<Parameter> FixedLearningRateParameters => [];

    /// <summary>One step's loss and scalars from a batch of views (and row indices, targets, extras).</summary>
    public abstract StepResult TrainingStep(TrainingBatch batch, StepContext context);

    /// <summary>One step outside the Trainer (tools, benchmarks, tests): <paramref name="views"/> with rows 0…B−1, step 0 of 1.</summary>
    public StepResult Step(params Tensor[] views)
    {
        if (views.Length == 0) throw new ArgumentException($"{GetName()}: a step needs at least one view");
        return TrainingStep(new TrainingBatch(views, arange(views[0].shape[0], ScalarType.Int64, views[0].device)), StepContext.Single());
    }

    /// <summary>
    /// Called when an epoch starts, and again when a run resumes in the middle of one (<see cref="EpochContext.StartBatch"/>
    /// &gt; 0), with the whole training dataset: e.g. DeepCluster's reassignment.
    /// </summary>
    public virtual void BeforeEpoch(EpochContext context) { }

    /// <summary>Called after backward, before the optimizer steps: gradient surgery such as freezing a layer for a while.</summary>
    public virtual void BeforeOptimizerStep(StepContext context) { }

    /// <summary>Called after every optimizer step, e.g. for momentum-teacher updates.</summary>
    public virtual void AfterOptimizerStep(StepContext context) { }

    /// <summary>
    /// A collapse of the method's own outputs that the representation's collapse monitor cannot see (DINO's teacher
    /// giving every image the same one-hot or uniform distribution while the backbone's features still differ), read
    /// from one step's logged scalars. The Trainer calls it after every step and warns once with the message; null:
    /// no collapse. None by default.
    /// </summary>
    public virtual string? OutputCollapse(IReadOnlyDictionary<string, double> scalars) => null;

    /// <summary>
    /// Why this method cannot train data-parallel (several ranks) with these settings, or null when it can: its
    /// batch-wide terms go through <see cref="StepContext.Collectives"/> and its state stays the same on every rank.
    /// </summary>
    public virtual string? DataParallelProblem(bool syncBatchNorm) => null;
}
