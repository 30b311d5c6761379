using static TorchSharp.torch;

namespace SelfSup.Encoders;

/// <summary>
/// An encoder whose intermediate stage maps can be read, for dense heads that need a finer map than the last stage's
/// (a CIFAR ResNet-18 ends at 4×4 on 32 px, its third stage is 8×8): the maps [B, Dₛ, hₛ, wₛ] of every stage, finest
/// first, the last one being <see cref="Encoder.ForwardFeatures"/>'s output.
/// </summary>
public interface IStageFeatures
{
    /// <summary>Every stage's feature map of normalised images [B, C, H, W], finest first.</summary>
    Tensor[] ForwardStages(Tensor x);
}
