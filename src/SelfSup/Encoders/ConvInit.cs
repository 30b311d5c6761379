using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Encoders;

/// <summary>The initialisation of He et al. (2015/2016) used by ResNets and the small ConvNet.</summary>
public static class ConvInit
{
    /// <summary>
    /// Kaiming-normal (fan_out, ReLU gain) for every 2-D conv weight, which keeps activation variance steady
    /// through ReLU stacks in the backward pass; BN γ = 1, β = 0 so each block starts as a plain normaliser.
    /// </summary>
    public static void Apply(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        using var noGrad = no_grad();
        foreach (var m in module.modules())
        {
            switch (m)
            {
                case Conv2d conv:
                    nn.init.kaiming_normal_(conv.weight, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
                    if (conv.bias is not null) nn.init.zeros_(conv.bias);
                    break;
                case BatchNorm2d bn:
                    if (bn.weight is not null) nn.init.ones_(bn.weight);
                    if (bn.bias is not null) nn.init.zeros_(bn.bias);
                    break;
            }
        }
    }
}
