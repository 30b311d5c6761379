using SelfSup.Encoders;
using SelfSup.Training;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>What per-pixel heads (colorization, split-brain) need to know of an encoder's feature map.</summary>
public static class FeatureMaps
{
    /// <summary>
    /// Channels D of the encoder's feature map [B, D, h, w], from one blank image of <paramref name="inChannels"/>
    /// channels in eval mode (no statistics change, nothing random drawn); an encoder whose features are tokens (a ViT)
    /// is refused with a message naming <paramref name="method"/>.
    /// </summary>
    public static int Channels(Encoder encoder, int inChannels, int imageSize, string method)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        using var mode = new TrainingModeSnapshot(encoder);
        encoder.eval();
        using var noGrad = no_grad();
        using var blank = zeros(1, inChannels, imageSize, imageSize);
        using var features = encoder.ForwardFeatures(blank);
        if (features.dim() != 4)
            throw new ArgumentException($"{method}: the encoder must give a feature map [B, D, h, w] for its per-pixel head, {encoder.GetName()} gives [{string.Join(", ", features.shape)}]; use a ResNet or ConvNet");
        return checked((int)features.shape[1]);
    }
}
