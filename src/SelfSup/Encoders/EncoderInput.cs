using static TorchSharp.torch;

namespace SelfSup.Encoders;

/// <summary>Checks and pooling shared by the convolutional encoders.</summary>
public static class EncoderInput
{
    /// <summary>Throws unless <paramref name="x"/> is a floating-point [B, C, H, W] batch with the expected C.</summary>
    public static void Check(Tensor x, int channels, string encoder)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.dim() != 4 || x.shape[1] != channels)
            throw new ArgumentException($"{encoder} input: expected [B, {channels}, H, W], got [{string.Join(", ", x.shape)}]");
        if (!x.is_floating_point())
            throw new ArgumentException($"{encoder} input: expected a floating-point tensor (see ChannelStats.ToModelInput), got {x.dtype}");
    }

    /// <summary>Global average over the spatial dimensions: [B, D, h, w] → [B, D].</summary>
    public static Tensor GlobalAveragePool(Tensor features, string encoder)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.dim() != 4)
            throw new ArgumentException($"{encoder} pool: expected a feature map [B, D, h, w], got [{string.Join(", ", features.shape)}]");
        return features.mean([2, 3]);
    }
}
