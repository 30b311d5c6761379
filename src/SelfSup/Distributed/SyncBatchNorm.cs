using SelfSup.Methods;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Distributed;

/// <summary>
/// Synchronised BatchNorm for data-parallel training: in training mode every BatchNorm layer of a model normalises
/// with the mean and variance of the global batch (all ranks' rows) and updates its running statistics with them,
/// exactly as one process with the whole batch would; the gradient flows through the shared statistics to every
/// rank (<see cref="ICollectives.AllReduceSum"/>). It attaches to the model's existing layers through forward hooks,
/// so the layers, their names and checkpoints stay those of plain BatchNorm; in eval mode nothing changes.
/// Costs two small allreduces per layer in the forward pass and two in the backward pass.
/// </summary>
public sealed class SyncBatchNorm : IDisposable
{
    readonly List<Action> removers = [];

    /// <summary>The number of BatchNorm layers synchronised.</summary>
    public int Layers { get; }

    SyncBatchNorm(nn.Module model, ICollectives world)
    {
        foreach (var bn in Norms(model))
        {
            Tensor? savedMean = null, savedVar = null;
            var pre = bn.register_forward_pre_hook((m, x) =>
            {
                // The layer's own forward still runs (on local statistics); its running statistics are put back after it.
                if (bn.training && bn.track_running_stats)
                {
                    savedMean = bn.running_mean!.detach().clone().DetachFromDisposeScope();
                    savedVar = bn.running_var!.detach().clone().DetachFromDisposeScope();
                }
                return x;
            });
            removers.Add(pre.remove);
            var post = bn.register_forward_hook((m, x, local) =>
            {
                if (!bn.training) return local;
                local.Dispose();
                var y = Normalize(bn, x, world, savedMean, savedVar);
                savedMean?.Dispose();
                savedVar?.Dispose();
                savedMean = savedVar = null;
                return y;
            });
            removers.Add(post.remove);
            Layers++;
        }
    }

    /// <summary>Synchronises every BatchNorm layer of <paramref name="model"/> over <paramref name="world"/>; dispose to detach.</summary>
    public static SyncBatchNorm Attach(nn.Module model, ICollectives world) => new(model, world);

    static Tensor Normalize(BatchNorm bn, Tensor x, ICollectives world, Tensor? savedMean, Tensor? savedVar)
    {
        var channels = x.shape[1];
        var dims = Enumerable.Range(0, (int)x.dim()).Where(d => d != 1).Select(d => (long)d).ToArray();
        var view = Enumerable.Repeat(1L, (int)x.dim()).ToArray();
        view[1] = channels;
        using var one = ones(1, dtype: x.dtype, device: x.device);
        // One allreduce carries the per-channel sums and the element count, so ranks may hold different row counts.
        var stats = world.AllReduceSum(cat([x.sum(dims), one.mul(x.numel() / channels)]));
        var count = stats[channels].to(ScalarType.Float64).item<double>();
        if (count < 2) throw new ArgumentException($"SyncBatchNorm: {count} values per channel over all ranks; training needs at least 2");
        var mean = stats.narrow(0, 0, channels).div(count);
        var centred = x - mean.view(view);
        // Two passes (mean, then squared deviations) for the same accuracy as BatchNorm's own kernel.
        var variance = world.AllReduceSum(centred.square().sum(dims)).div(count);
        var y = centred * (variance + bn.eps).rsqrt().view(view);
        if (bn.weight is { } weight) y = y * weight.view(view);
        if (bn.bias is { } bias) y = y + bias.view(view);
        if (bn.track_running_stats && savedMean is not null && savedVar is not null)
            using (no_grad())
            {
                // num_batches_tracked was counted by the layer's own forward; momentum null is a cumulative average.
                var momentum = bn.momentum ?? 1.0 / Math.Max(1, bn.num_batches_tracked!.item<long>());
                bn.running_mean!.copy_(savedMean.mul(1 - momentum).add_(mean.detach(), alpha: momentum));
                bn.running_var!.copy_(savedVar.mul(1 - momentum).add_(variance.detach().mul(count / (count - 1)), alpha: momentum));
            }
        return y;
    }

    /// <summary>
    /// Without SyncBN each rank's running statistics follow its own rows; rank 0's are copied to every rank (as
    /// PyTorch DDP broadcasts buffers), so that the ranks agree and the checkpoint holds rank 0's.
    /// </summary>
    public static void BroadcastRunningStatistics(nn.Module model, ICollectives world)
    {
        if (world.WorldSize == 1) return;
        foreach (var bn in Norms(model).Where(b => b.track_running_stats))
        {
            world.Broadcast(bn.running_mean!);
            world.Broadcast(bn.running_var!);
        }
    }

    /// <summary>The model's BatchNorm layers, the model itself included (modules() lists only what it contains).</summary>
    static IEnumerable<BatchNorm> Norms(nn.Module model) => model.modules().Prepend(model).OfType<BatchNorm>();

    public void Dispose()
    {
        foreach (var remove in removers) remove();
        removers.Clear();
    }
}
