namespace SelfSup.Training;

/// <summary>The optimizers the Trainer can build.</summary>
public enum OptimizerKind
{
    /// <summary>SGD with (heavy-ball) momentum.</summary>
    Sgd,
    /// <summary>LARS (You et al. 2017) as used by SimCLR/BYOL: layer-wise trust ratio on SGD with momentum.</summary>
    Lars,
    /// <summary>AdamW (Loshchilov &amp; Hutter 2019), decoupled weight decay.</summary>
    AdamW,
}
