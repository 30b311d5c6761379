using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Augment;

/// <summary>
/// Turns one uint8 batch [B, C, H, W] into the views a method trains on (normalised float tensors on the
/// batch's device). One call per batch; every random parameter is drawn per sample from <paramref name="generator"/>.
/// </summary>
public interface IViewRecipe
{
    Tensor[] Apply(Tensor images, Generator generator);
}
