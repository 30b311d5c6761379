using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Data;

/// <summary>
/// Moves raw pixel bytes between managed buffers and uint8 tensors. Datasets outlive any caller's
/// dispose scope, so the tensors made here are detached from it.
/// </summary>
internal static class TensorBytes
{
    /// <summary>A new uint8 tensor of <paramref name="shape"/> filled from <paramref name="source"/>, starting at <paramref name="offset"/>.</summary>
    public static Tensor ToByteTensor(byte[] source, int offset, long[] shape)
    {
        var count = shape.Aggregate(1L, (a, b) => a * b);
        if (offset + count > source.Length)
            throw new ArgumentException($"buffer holds {source.Length - offset} bytes after offset {offset}, shape [{string.Join(", ", shape)}] needs {count}");
        var t = empty(shape, ScalarType.Byte).DetachFromDisposeScope();
        source.AsSpan(offset, (int)count).CopyTo(t.bytes);
        return t;
    }
}
