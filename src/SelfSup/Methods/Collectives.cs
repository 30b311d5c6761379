using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>
/// The seam through which a method talks to other training processes: losses that need global negatives gather
/// embeddings, the Trainer averages gradients. Data-parallel training implements it; one process uses
/// <see cref="SingleProcess"/>.
/// </summary>
public interface ICollectives
{
    /// <summary>This process's rank in [0, <see cref="WorldSize"/>).</summary>
    int Rank { get; }
    int WorldSize { get; }
    /// <summary>The element-wise mean of <paramref name="x"/> over all processes (a new tensor).</summary>
    Tensor AllReduceMean(Tensor x);
    /// <summary>Every process's <paramref name="x"/> [B, …] concatenated along dim 0 in rank order: [WorldSize·B, …].</summary>
    Tensor AllGather(Tensor x);
}

/// <summary>One process: a mean over one is the tensor itself, a gather of one is the tensor itself.</summary>
public sealed class SingleProcess : ICollectives
{
    public static readonly SingleProcess Instance = new();

    SingleProcess() { }

    public int Rank => 0;
    public int WorldSize => 1;
    public Tensor AllReduceMean(Tensor x) => x.alias();
    public Tensor AllGather(Tensor x) => x.alias();
}
