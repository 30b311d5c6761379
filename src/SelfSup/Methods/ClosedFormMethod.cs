using SelfSup.Encoders;

namespace SelfSup.Methods;

/// <summary>
/// A method fitted without gradient training (PCA): the Trainer calls <see cref="Fit"/> once instead of the step
/// loop, with no optimizer, then writes the run folder and checkpoint as for any method, so `selfsup pretrain`,
/// evaluation and export treat it the same way.
/// </summary>
public abstract class ClosedFormMethod : SslMethod
{
    /// <summary>A closed-form fit is one pass over the data with nothing to average: it runs in one process.</summary>
    public override string? DataParallelProblem(bool syncBatchNorm) =>
        $"{GetName()}: fitted in closed form in one pass, with no steps to share; run it in one process";


    protected ClosedFormMethod(string name, Encoder encoder) : base(name, encoder) { }

    /// <summary>Fits the method on the training data (<see cref="EpochContext.Epoch"/> 0, the whole dataset).</summary>
    public abstract void Fit(EpochContext context);

    /// <summary>
    /// Called once after <see cref="Fit"/> with the run folder: writes what the fit has to show (pictures, tables) and
    /// returns scalars for the run's metrics record (e.g. embedding_std). Nothing by default.
    /// </summary>
    public virtual IReadOnlyDictionary<string, double> AfterFit(string runDir) => new Dictionary<string, double>();

    /// <summary>Closed-form methods have no training step.</summary>
    public sealed override StepResult TrainingStep(TrainingBatch batch, StepContext context) =>
        throw new InvalidOperationException($"{GetName()} is fitted in closed form (Fit), not trained step by step");
}
