using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Training;

/// <summary>Cheap finiteness checks for the training loop: one host read per call, whatever the number of tensors.</summary>
public static class NonFinite
{
    /// <summary>
    /// The global L2 norm of the gradients of <paramref name="parameters"/> (those without a gradient are left out; 0
    /// when none has one): √Σ‖g‖², the norm <c>clip_grad_norm_</c> clips. NaN or ∞ when any gradient entry is.
    /// </summary>
    public static double GradientNorm(IEnumerable<Parameter> parameters)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var norms = parameters.Select(p => p.grad).OfType<Tensor>().Select(g => linalg.vector_norm(g.to(ScalarType.Float32))).ToArray(); // each []
        if (norms.Length == 0) return 0;
        return linalg.vector_norm(stack(norms)).item<float>();
    }

    /// <summary>Whether every entry of every floating-point tensor in <paramref name="tensors"/> is finite (other dtypes always are).</summary>
    public static bool AllFinite(IEnumerable<Tensor> tensors)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var flags = tensors.Where(t => t.is_floating_point()).Select(t => t.isfinite().all()).ToArray(); // each [], bool
        return flags.Length == 0 || stack(flags).all().item<bool>();
    }
}
