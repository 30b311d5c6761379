using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Training;

/// <summary>Cheap health signals of an embedding batch, logged every step.</summary>
public static class Monitors
{
    /// <summary>
    /// Mean over dimensions of the per-dimension std of L2-normalised embeddings [B, D]:
    /// ≈ 1/√D for well-spread embeddings, → 0 when every sample maps to the same point (collapse).
    /// </summary>
    public static Tensor StdOfL2Normalized(Tensor embeddings)
    {
        using var scope = NewDisposeScope();
        var z = nn.functional.normalize(embeddings, dim: 1);
        return z.std(0).mean().MoveToOuterDisposeScope();
    }
}
