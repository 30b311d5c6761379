using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Encoders.Transformer;

/// <summary>
/// Stochastic depth (Huang et al. 2016): in training, drops a residual branch for a whole sample with probability
/// <c>rate</c> and scales the kept ones by 1/(1 − rate) so the expectation is unchanged; identity in eval mode.
/// </summary>
public sealed class DropPath : nn.Module<Tensor, Tensor>
{
    readonly double rate;

    public DropPath(double rate) : base(nameof(DropPath))
    {
        if (!(rate >= 0 && rate < 1)) throw new ArgumentException($"drop-path rate must be in [0, 1), got {rate}");
        this.rate = rate;
    }

    public override Tensor forward(Tensor x)
    {
        if (rate == 0 || !training) return x.alias();
        var keep = 1 - rate;
        var shape = new long[x.dim()];
        Array.Fill(shape, 1L);
        shape[0] = x.shape[0];
        using var mask = rand(shape, dtype: x.dtype, device: x.device).add_(keep).floor_(); // [B, 1, 1]: 1 with probability keep
        return x.div(keep).mul_(mask);
    }
}
