using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Augment;

/// <summary>
/// One augmentation step applied to a whole float batch [B, C, H, W] in [0, 1] on its own device. Random
/// parameters are drawn per sample from the generator, so one call augments every image differently.
/// Implementations never return their input tensor itself (callers may dispose results freely).
/// </summary>
public interface IBatchTransform
{
    Tensor Apply(Tensor x, Generator generator);
}
