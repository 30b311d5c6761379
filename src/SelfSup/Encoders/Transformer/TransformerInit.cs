using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Encoders.Transformer;

/// <summary>The ViT initialisation of timm and MAE.</summary>
public static class TransformerInit
{
    /// <summary>
    /// Linear weights truncated-normal (std 0.02, cut at ±2 std) with zero bias, LayerNorm γ = 1, β = 0: small
    /// residual branches at the start keep every block close to the identity.
    /// </summary>
    public static void Apply(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        using var noGrad = no_grad();
        foreach (var m in module.modules())
        {
            switch (m)
            {
                case Linear linear:
                    nn.init.trunc_normal_(linear.weight, mean: 0, std: 0.02, a: -0.04, b: 0.04);
                    if (linear.bias is not null) nn.init.zeros_(linear.bias);
                    break;
                case LayerNorm ln:
                    if (ln.weight is not null) nn.init.ones_(ln.weight);
                    if (ln.bias is not null) nn.init.zeros_(ln.bias);
                    break;
            }
        }
    }

    /// <summary>
    /// A patch embedding is a linear map of flattened patches, so it gets xavier-uniform on its weight viewed as
    /// [D, C·p·p] (MAE): bound √(6 / (fan_in + fan_out)) with fan_in = C·p·p, fan_out = D; bias zero.
    /// </summary>
    public static void PatchEmbedding(Conv2d conv)
    {
        ArgumentNullException.ThrowIfNull(conv);
        using var noGrad = no_grad();
        var w = conv.weight!;
        var fanOut = w.shape[0];
        var fanIn = w.shape[1] * w.shape[2] * w.shape[3];
        var bound = Math.Sqrt(6.0 / (fanIn + fanOut));
        nn.init.uniform_(w, -bound, bound);
        if (conv.bias is not null) nn.init.zeros_(conv.bias);
    }
}
