using SelfSup.Methods;
using static TorchSharp.torch;

namespace SelfSup.Distributed;

/// <summary>
/// Averages gradients over ranks: the gradients are flattened into buckets of at most <see cref="BucketBytes"/>, and
/// each bucket is averaged with one allreduce (many small tensors cost one round trip per bucket, not one each),
/// then copied back. Every rank must hold gradients for the same parameters, which the same model and step give.
/// </summary>
public static class GradientBuckets
{
    /// <summary>25 MB, PyTorch DDP's default bucket.</summary>
    public const long BucketBytes = 25L << 20;

    /// <summary>Replaces each parameter's gradient by its mean over ranks.</summary>
    public static void Average(IEnumerable<Tensor> parameters, ICollectives world, long bucketBytes = BucketBytes)
    {
        if (world.WorldSize == 1) return;
        var grads = parameters.Select(p => p.grad).Where(g => g is not null).Select(g => g!).ToList();
        using var _ = no_grad();
        foreach (var bucket in Buckets(grads, bucketBytes))
        {
            using var flat = cat(bucket.Select(g => g.reshape(-1)).ToArray());
            using var mean = world.AllReduceMean(flat);
            long offset = 0;
            foreach (var g in bucket)
            {
                using var part = mean.narrow(0, offset, g.numel());
                g.copy_(part.view_as(g));
                offset += g.numel();
            }
        }
    }

    /// <summary>Consecutive gradients of one dtype and device, up to <paramref name="bucketBytes"/> each (a larger gradient is a bucket of its own).</summary>
    static IEnumerable<List<Tensor>> Buckets(List<Tensor> grads, long bucketBytes)
    {
        var bucket = new List<Tensor>();
        long bytes = 0;
        foreach (var g in grads)
        {
            var size = g.numel() * g.element_size();
            if (bucket.Count > 0 && (bytes + size > bucketBytes || g.dtype != bucket[0].dtype || g.device != bucket[0].device))
            {
                yield return bucket;
                bucket = [];
                bytes = 0;
            }
            bucket.Add(g);
            bytes += size;
        }
        if (bucket.Count > 0) yield return bucket;
    }
}
