using SelfSup.Methods;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Distributed;

/// <summary>
/// <see cref="ICollectives"/> over MPI_COMM_WORLD. Tensors go to MPI as their contiguous memory: on the CPU
/// directly, on a GPU directly when the Open MPI build is CUDA-aware and otherwise staged through host memory.
/// The two differentiable collectives (<see cref="AllGather"/>, <see cref="AllReduceSum"/>) sum the incoming
/// gradients over ranks in their backward pass, so that with gradients averaged over ranks afterwards every rank
/// steps with the gradient of the mean loss over the global batch, as one process would.
/// </summary>
public sealed class MpiCollectives : ICollectives
{
    readonly Mpi mpi;

    public MpiCollectives(Mpi mpi) => this.mpi = mpi;

    public int Rank => mpi.Rank;
    public int WorldSize => mpi.Size;
    public Mpi Mpi => mpi;

    public Tensor AllReduceMean(Tensor x)
    {
        using var _ = no_grad();
        var sum = SumOverRanks(x, "allreduce mean");
        return sum.div_(WorldSize);
    }

    public Tensor AllGather(Tensor x) => x.requires_grad ? AllGatherFunction.Apply(this, x) : GatherRows(x, "allgather", out _);

    public Tensor AllReduceSum(Tensor x) => x.requires_grad ? AllReduceSumFunction.Apply(this, x) : SumOverRanks(x, "allreduce sum");

    public void Broadcast(Tensor x, int root = 0)
    {
        using var _ = no_grad();
        // MPI reads and writes the memory as one block: a strided view goes through a contiguous copy.
        using var block = x.is_contiguous() ? null : x.contiguous();
        using var host = HostCopy(block ?? x);
        var buffer = host ?? block ?? x;
        mpi.Broadcast(buffer.DataPointer(), Count(buffer), Datatype(buffer), root, $"broadcast {Describe(x)}");
        if (!ReferenceEquals(buffer, x)) x.copy_(buffer);
    }

    public byte[][] AllGatherBytes(byte[] bytes, string what) => mpi.AllGather(bytes, what);

    /// <summary>The element-wise sum of <paramref name="x"/> over ranks, as a new tensor (no autograd).</summary>
    internal Tensor SumOverRanks(Tensor x, string what)
    {
        using var _ = no_grad();
        var result = x.detach().contiguous().clone();
        SumInPlace(result, what);
        return result;
    }

    /// <summary>Sums a contiguous tensor over ranks in place (for measuring latency and bandwidth).</summary>
    public void SumInPlaceForCheck(Tensor x) => SumInPlace(x, "allreduce check");

    /// <summary>Sums a contiguous tensor over ranks, in place.</summary>
    internal void SumInPlace(Tensor x, string what)
    {
        if (!x.is_contiguous()) throw new ArgumentException("allreduce: the tensor must be contiguous");
        using var host = HostCopy(x);
        var buffer = host ?? x;
        mpi.AllReduceSum(buffer.DataPointer(), Count(buffer), Datatype(buffer), $"{what} {Describe(x)}");
        if (host is not null) x.copy_(host);
    }

    /// <summary>
    /// Every rank's rows of <paramref name="x"/> concatenated in rank order (ranks may hold different row counts);
    /// <paramref name="offset"/> is the first row of this rank's part.
    /// </summary>
    internal Tensor GatherRows(Tensor x, string what, out long offset)
    {
        using var _ = no_grad();
        using var local = x.detach().contiguous();
        var rowElements = local.shape.Skip(1).Aggregate(1L, (a, b) => a * b);
        var rows = mpi.AllGather(checked((int)local.shape[0]), $"{what} row counts");
        offset = rows.Take(Rank).Sum();
        var shape = local.shape.ToArray();
        shape[0] = rows.Sum();
        var result = empty(shape, local.dtype, local.device);
        using var sendHost = HostCopy(local);
        using var receiveHost = HostCopy(result);
        var (send, receive) = (sendHost ?? local, receiveHost ?? result);
        var counts = rows.Select(r => checked((int)(r * rowElements))).ToArray();
        mpi.AllGatherV(send.DataPointer(), Count(send), receive.DataPointer(), counts, Datatype(send), $"{what} {Describe(x)}");
        if (receiveHost is not null) result.copy_(receiveHost);
        return result;
    }

    /// <summary>A host copy of a device tensor when MPI cannot read device memory (not CUDA-aware); null when MPI takes the tensor itself.</summary>
    Tensor? HostCopy(Tensor x) => x.device.type == DeviceType.CPU || mpi.Library.CudaAware ? null : x.cpu();

    nint Datatype(Tensor x) => x.dtype switch
    {
        ScalarType.Float32 => mpi.Library.Float,
        ScalarType.Float64 => mpi.Library.Double,
        ScalarType.Int32 => mpi.Library.Int,
        ScalarType.Int64 => mpi.Library.Int64,
        ScalarType.Byte => mpi.Library.Byte,
        _ => throw new NotSupportedException($"MPI collectives: tensors of {x.dtype} are not supported (float32, float64, int32, int64, uint8)"),
    };

    static int Count(Tensor x) => x.numel() <= int.MaxValue
        ? (int)x.numel()
        : throw new NotSupportedException($"MPI collectives: {x.numel()} elements exceed one MPI call's count; bucket the tensor");

    static string Describe(Tensor x) => $"[{string.Join("×", x.shape)}] {x.dtype}";

    /// <summary>Gather with gradient: the backward pass sums every rank's gradient of the gathered tensor and keeps this rank's rows.</summary>
    sealed class AllGatherFunction : autograd.SingleTensorFunction<AllGatherFunction>
    {
        public override string Name => "SelfSupAllGather";

        public static Tensor Apply(MpiCollectives world, Tensor x) => apply(world, x);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var world = (MpiCollectives)vars[0];
            var x = (Tensor)vars[1];
            ctx.save_data("world", world);
            ctx.save_data("rows", x.shape[0]);
            var gathered = world.GatherRows(x, "allgather", out var offset);
            ctx.save_data("offset", offset); // where this rank's rows are, for the backward pass
            return gathered;
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad)
        {
            var world = (MpiCollectives)ctx.get_data("world");
            var rows = (long)ctx.get_data("rows");
            var offset = (long)ctx.get_data("offset");
            using var total = world.SumOverRanks(grad, "allgather backward");
            return [null!, total.narrow(0, offset, rows).clone()]; // one gradient per argument: none for the collectives
        }
    }

    /// <summary>Sum with gradient: the backward pass is itself a sum over ranks of the incoming gradients.</summary>
    sealed class AllReduceSumFunction : autograd.SingleTensorFunction<AllReduceSumFunction>
    {
        public override string Name => "SelfSupAllReduceSum";

        public static Tensor Apply(MpiCollectives world, Tensor x) => apply(world, x);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var world = (MpiCollectives)vars[0];
            ctx.save_data("world", world);
            return world.SumOverRanks((Tensor)vars[1], "allreduce sum");
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad) =>
            [null!, ((MpiCollectives)ctx.get_data("world")).SumOverRanks(grad, "allreduce sum backward")];
    }

}

/// <summary>The address of a tensor's first element (TorchSharp exposes no data_ptr; its native shim does).</summary>
static class TensorMemory
{
    public static nint DataPointer(this Tensor x) => THSTensor_data(x.Handle);

    [System.Runtime.InteropServices.DllImport("LibTorchSharp")]
    static extern nint THSTensor_data(nint handle);
}
