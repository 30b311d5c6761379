using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>
/// A method that can show what it reconstructs (`selfsup reconstruct`): one picture row per image, one column per
/// tensor, e.g. original | masked | reconstruction (MAE) or original | corrupted | reconstruction (denoising autoencoder).
/// </summary>
public interface IReconstructionPictures
{
    /// <summary>A title for each column, in order.</summary>
    IReadOnlyList<string> PictureColumns { get; }

    /// <summary>
    /// The columns for normalised images [B, C, H, W]: each [B, C, H, W], normalised like the input, computed in eval
    /// mode without gradients (the training mode is restored); random draws (masks, noise) come from <paramref name="generator"/>.
    /// </summary>
    Tensor[] ReconstructionColumns(Tensor images, Generator generator);
}

/// <summary>A generative model's pictures (`selfsup reconstruct --samples / --interpolate`): samples from the prior and paths between images.</summary>
public interface IGenerativePictures
{
    /// <summary><paramref name="count"/> images [count, C, H, W] decoded from prior samples drawn from <paramref name="generator"/>, normalised like model input.</summary>
    Tensor Sample(int count, Generator generator);

    /// <summary>
    /// Columns walking from each image of <paramref name="from"/> to the matching image of <paramref name="to"/> (both
    /// normalised [B, C, H, W]): the first image, <paramref name="steps"/> decodings of latent codes evenly spaced from
    /// the first's to the second's (both ends included), and the second image.
    /// </summary>
    Tensor[] Interpolate(Tensor from, Tensor to, int steps);
}
