using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>
/// The seam through which a method talks to other training processes: losses that need global negatives gather
/// embeddings, BatchNorm can share its statistics, the Trainer averages gradients and checks that ranks agree.
/// Data-parallel training implements it (<see cref="Distributed.MpiCollectives"/>); one process uses
/// <see cref="SingleProcess"/>. Every rank must call the same collectives in the same order.
/// </summary>
public interface ICollectives
{
    /// <summary>This process's rank in [0, <see cref="WorldSize"/>).</summary>
    int Rank { get; }
    int WorldSize { get; }
    /// <summary>The element-wise mean of <paramref name="x"/> over all processes (a new tensor, no gradient).</summary>
    Tensor AllReduceMean(Tensor x);
    /// <summary>
    /// Every process's <paramref name="x"/> [B, …] concatenated along dim 0 in rank order: [WorldSize·B, …]. When
    /// <paramref name="x"/> requires a gradient, the gradient that reaches it is the sum over processes of the gradients
    /// of its rows, so a loss over the gathered rows trains as one process would on the global batch.
    /// </summary>
    Tensor AllGather(Tensor x);
    /// <summary>The element-wise sum over all processes, differentiable in the same way as <see cref="AllGather"/>.</summary>
    Tensor AllReduceSum(Tensor x);
    /// <summary>Overwrites <paramref name="x"/> on every process with process <paramref name="root"/>'s values.</summary>
    void Broadcast(Tensor x, int root = 0);
    /// <summary>Each process's bytes, gathered on every process in rank order.</summary>
    byte[][] AllGatherBytes(byte[] bytes, string what);
}

/// <summary>One process: a mean, sum or gather over one is the tensor itself.</summary>
public sealed class SingleProcess : ICollectives
{
    public static readonly SingleProcess Instance = new();

    SingleProcess() { }

    public int Rank => 0;
    public int WorldSize => 1;
    public Tensor AllReduceMean(Tensor x) => x.alias();
    public Tensor AllGather(Tensor x) => x.alias();
    public Tensor AllReduceSum(Tensor x) => x.alias();
    public void Broadcast(Tensor x, int root = 0) { }
    public byte[][] AllGatherBytes(byte[] bytes, string what) => [bytes];
}
