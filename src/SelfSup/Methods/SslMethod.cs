using SelfSup.Encoders;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>What one training step returns: the loss to back-propagate and named scalars to log.</summary>
public sealed record StepResult(Tensor Loss, IReadOnlyDictionary<string, Tensor> Scalars)
{
    public StepResult(Tensor loss) : this(loss, new Dictionary<string, Tensor>()) { }
}

/// <summary>
/// A self-supervised method: an encoder plus its heads, loss and any teacher/queue state, all submodules so
/// they are saved in checkpoints. The Trainer owns the loop; a method supplies only the step.
/// </summary>
public abstract class SslMethod : nn.Module
{
    protected SslMethod(string name, Encoder encoder) : base(name)
    {
        Encoder = encoder;
    }

    /// <summary>The backbone being pretrained; the only part kept for downstream use.</summary>
    public Encoder Encoder { get; }

    /// <summary>Views in (from the method's view recipe), loss and scalars out.</summary>
    public abstract StepResult TrainingStep(Tensor[] views);

    /// <summary>Called after every optimizer step, e.g. for momentum-teacher updates. <paramref name="step"/> is 0-based.</summary>
    public virtual void AfterOptimizerStep(long step, long totalSteps) { }
}
