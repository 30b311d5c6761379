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

    public Tensor AllGather(Tensor x) => x.requires_grad ? AllGatherFunction.Apply(this, x) : GatherRows(x, "allgather");

    public Tensor AllReduceSum(Tensor x) => x.requires_grad ? AllReduceSumFunction.Apply(this, x) : SumOverRanks(x, "allreduce sum");

    public void Broadcast(Tensor x, int root = 0)
    {
        using var _ = no_grad();
        // MPI reads and writes the memory as one block: a strided view goes through a contiguous copy.
        using var block = x.is_contiguous() ? x.alias() : x.contiguous();
        using var staged = Staged(block);
        mpi.Broadcast(staged.DataPointer(), Count(staged), Datatype(staged), root, $"broadcast {Describe(x)}");
        x.copy_(staged);
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
        using var staged = Staged(x);
        mpi.AllReduceSum(staged.DataPointer(), Count(staged), Datatype(staged), $"{what} {Describe(x)}");
        if (!ReferenceEquals(staged, x)) x.copy_(staged);
    }

    /// <summary>Every rank's rows of <paramref name="x"/> concatenated in rank order (ranks may hold different row counts).</summary>
    internal Tensor GatherRows(Tensor x, string what)
    {
        using var _ = no_grad();
        var local = x.detach().contiguous();
        var rowElements = local.shape.Skip(1).Aggregate(1L, (a, b) => a * b);
        var rows = mpi.AllGather(checked((int)local.shape[0]), $"{what} row counts");
        var shape = local.shape.ToArray();
        shape[0] = rows.Sum();
        var result = empty(shape, local.dtype, local.device);
        using var send = Staged(local);
        using var receive = Staged(result);
        var counts = rows.Select(r => checked((int)(r * rowElements))).ToArray();
        mpi.AllGatherV(send.DataPointer(), Count(send), receive.DataPointer(), counts, Datatype(send), $"{what} {Describe(x)}");
        if (!ReferenceEquals(receive, result)) result.copy_(receive);
        if (!ReferenceEquals(local, x)) local.Dispose();
        return result;
    }

    /// <summary>The row offset of this rank's part in a gather of per-rank row counts.</summary>
    internal int RowOffset(int rows) => mpi.AllGather(rows, "allgather backward row counts").Take(Rank).Sum();

    /// <summary>The tensor MPI reads and writes: itself, or a host copy of a device tensor when MPI is not CUDA-aware.</summary>
    Tensor Staged(Tensor x) => x.device.type == DeviceType.CPU || mpi.Library.CudaAware ? x.alias() : x.cpu();

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
            return world.GatherRows(x, "allgather");
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad)
        {
            var world = (MpiCollectives)ctx.get_data("world");
            var rows = (long)ctx.get_data("rows");
            using var total = world.SumOverRanks(grad, "allgather backward");
            var offset = world.RowOffset((int)rows);
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
