using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Encoders;

/// <summary>
/// Channels-last (NHWC) layout for convolutions. TorchSharp has no <c>memory_format</c> argument, but libtorch
/// decides the layout from strides alone: a tensor stored contiguously as NHWC and viewed as NCHW is channels-last,
/// and oneDNN convolutions on CPU run faster on it (see DESIGN.md, performance notes). Shapes never change; only
/// the order of elements in memory does, so results match the default layout up to float rounding.
/// A convolution whose input is channels-last returns channels-last output, so converting an encoder's input is
/// enough to run the whole network in this layout: a ResNet-18 (width 16) SimCLR step on 2 threads went from
/// ≈200 to ≈320 images/s. Converting the weights as well (<see cref="Apply"/>) gave no further gain.
/// </summary>
public static class ChannelsLast
{
    /// <summary>
    /// The same 4-D tensor [B, C, H, W] stored as NHWC. A tensor that already is channels-last is returned as is
    /// (a new handle to the same storage); tensors of other ranks are returned unchanged.
    /// </summary>
    public static Tensor Of(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.dim() != 4 || Is(x)) return x.alias();
        long c = x.shape[1], h = x.shape[2], w = x.shape[3];
        using var nhwc = x.permute(0, 2, 3, 1).contiguous(); // [B, H, W, C], dense
        // Permuting back would give ambiguous strides where a dimension has size 1 (C = 1 for grayscale input,
        // 1×1 conv kernels), which libtorch reads as NCHW; spelling the NHWC strides out removes the ambiguity.
        return nhwc.as_strided(x.shape, [h * w * c, 1, w * c, c], nhwc.storage_offset()); // [B, C, H, W]
    }

    /// <summary>
    /// True when libtorch treats the 4-D tensor as channels-last: walking C, W, H, B (NHWC's innermost to
    /// outermost), each stride is at least the extent of the dimensions inside it. Where every stride fits both
    /// layouts (e.g. [B, 1, 1, 1]) the answer is false, as in libtorch, which then prefers NCHW.
    /// </summary>
    public static bool Is(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.dim() != 4) return false;
        var size = x.shape;
        var stride = x.stride();
        long inner = 0; // extent, in elements, of the dimensions visited so far
        foreach (var d in new[] { 1, 3, 2, 0 })
        {
            if (size[d] == 0 || stride[d] < inner) return false;
            if (d == 0 && inner == stride[1]) return false; // C, H and W add no extent: ambiguous, NCHW wins
            inner = stride[d] * Math.Max(size[d], 1);
        }
        return true;
    }

    /// <summary>
    /// Re-stores every 4-D parameter of <paramref name="module"/> (conv weights) as channels-last, in place: each
    /// <see cref="Parameter"/> keeps its identity (same object, still a leaf that requires grad), so optimizers built
    /// before or after the call update the same tensors, and in-place updates keep the layout (gradients follow the
    /// parameter's layout too). Not needed for speed: the encoders convert only their input, and libtorch then runs
    /// every convolution channels-last anyway, at the same measured throughput. Caution: TorchSharp's
    /// <c>Module.save</c>/<c>load</c> (and so checkpoints) reject non-contiguous tensors, which includes
    /// channels-last weights and the momentum buffers cloned from their gradients; call <see cref="Revert"/> first.
    /// </summary>
    /// <returns>The number of parameters converted.</returns>
    public static int Apply(nn.Module module) => Restore(module, toChannelsLast: true);

    /// <summary>Undoes <see cref="Apply"/>: every 4-D parameter back to standard contiguous (NCHW) storage, in place.</summary>
    /// <returns>The number of parameters converted.</returns>
    public static int Revert(nn.Module module) => Restore(module, toChannelsLast: false);

    static int Restore(nn.Module module, bool toChannelsLast)
    {
        ArgumentNullException.ThrowIfNull(module);
        int converted = 0;
        using var noGrad = no_grad();
        foreach (var p in module.parameters())
        {
            if (p.dim() != 4 || (toChannelsLast ? Is(p) : p.is_contiguous())) continue;
            using var source = p.detach();
            using var restored = toChannelsLast ? Of(source) : source.contiguous();
            p.set_(restored); // the Parameter object stays; only its storage and strides change
            converted++;
        }
        return converted;
    }
}
