using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Encoders.Transformer;

/// <summary>Initialisations of transformer weights: timm's ViT (truncated normal) and MAE's (xavier-uniform).</summary>
public static class TransformerInit
{
    /// <summary>
    /// Linear weights truncated-normal (std 0.02, cut at ±2 std) with zero bias, LayerNorm γ = 1, β = 0: small
    /// residual branches at the start keep every block close to the identity.
    /// </summary>
    public static void Apply(nn.Module module) => Apply(module, w => TruncatedNormal(w, 0.02));

    /// <summary>
    /// MAE's <c>_init_weights</c> (facebookresearch/mae, after the JAX ViT): Linear weights xavier-uniform, bound
    /// √(6 / (fan_in + fan_out)), with zero bias; LayerNorm γ = 1, β = 0.
    /// </summary>
    public static void ApplyXavierUniform(nn.Module module) => Apply(module, w => nn.init.xavier_uniform_(w));

    static void Apply(nn.Module module, Action<Tensor> linearWeight)
    {
        ArgumentNullException.ThrowIfNull(module);
        using var noGrad = no_grad();
        foreach (var m in module.modules())
        {
            switch (m)
            {
                case Linear linear:
                    linearWeight(linear.weight);
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
    /// Fills <paramref name="t"/> in place with N(0, std²) truncated to ±2·std, by inverse-CDF sampling (as PyTorch's
    /// trunc_normal_): u ~ U(Φ(−2), Φ(2)), x = √2·std·erfinv(2u − 1). Written here because TorchSharp 0.107's
    /// nn.init.trunc_normal_ left the weights at zero for these bounds.
    /// </summary>
    public static void TruncatedNormal(Tensor t, double std)
    {
        using var noGrad = no_grad();
        const double lo = 0.022750131948179195; // Φ(−2)
        const double hi = 1 - lo;               // Φ(2)
        t.uniform_(2 * lo - 1, 2 * hi - 1).erfinv_().mul_(std * Math.Sqrt(2)).clamp_(-2 * std, 2 * std);
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
