using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Losses;

/// <summary>
/// DINO's teacher centring (Caron et al. 2021, §3.1, eq. 4): a centre c over the K output dimensions, an
/// exponential moving average of the teacher's batch mean, c ← m·c + (1 − m)·(1/N)Σ g_t(x_n). Subtracting c before
/// the teacher's sharpened softmax keeps one dimension from dominating (centring alone tends to a uniform output,
/// sharpening alone to one dimension; together they avoid both collapses). The centre is a buffer (state-dict key
/// <c>center</c>, [1, K], zero at the start), so checkpoints save it and a resumed run continues it.
/// </summary>
public sealed class TeacherCentre : nn.Module
{
    readonly Tensor center;

    /// <param name="dim">K, the teacher's output width.</param>
    /// <param name="momentum">m of the moving average (DINO and iBOT: 0.9).</param>
    public TeacherCentre(int dim, double momentum = 0.9) : base(nameof(TeacherCentre))
    {
        if (dim < 1) throw new ArgumentException($"teacher centre: dim must be ≥ 1, got {dim}");
        if (!(momentum >= 0 && momentum <= 1)) throw new ArgumentException($"teacher centre: center_momentum must be in [0, 1], got {momentum}");
        Momentum = momentum;
        center = zeros(1, dim);
        RegisterComponents();
    }

    /// <summary>m of the moving average.</summary>
    public double Momentum { get; }

    /// <summary>The current centre, [1, K] (the buffer itself; do not modify).</summary>
    public Tensor Value => center;

    /// <summary>
    /// The teacher's targets softmax((t − c)/τ) over the last dimension of <paramref name="teacherLogits"/> [..., K],
    /// without gradient; with <paramref name="centre"/> false c is not subtracted (sharpening only).
    /// </summary>
    public Tensor Targets(Tensor teacherLogits, double temperature, bool centre = true)
    {
        if (!(temperature > 0)) throw new ArgumentException($"teacher centre: teacher temperature must be > 0, got {temperature}");
        if (teacherLogits.shape[^1] != center.shape[1])
            throw new ArgumentException($"teacher centre: expected logits [..., {center.shape[1]}], got [{string.Join(", ", teacherLogits.shape)}]");
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var t = centre ? teacherLogits - center : teacherLogits.alias();
        return t.div(temperature).softmax(-1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// c ← m·c + (1 − m)·mean of the rows of <paramref name="teacherLogits"/> [N, K] (the raw teacher outputs, before
    /// centring). Call it after the loss, as the reference does, so this step's targets use the previous centre.
    /// Data-parallel (<paramref name="world"/>), the mean is over every rank's rows, so the centre stays one on all ranks.
    /// </summary>
    public void Update(Tensor teacherLogits, Methods.ICollectives? world = null)
    {
        if (teacherLogits.dim() != 2 || teacherLogits.shape[1] != center.shape[1])
            throw new ArgumentException($"teacher centre: expected teacher outputs [N, {center.shape[1]}], got [{string.Join(", ", teacherLogits.shape)}]");
        using var noGrad = no_grad();
        using var localMean = teacherLogits.detach().mean([0], keepdim: true); // [1, K]
        using var batchMean = world is null || world.WorldSize == 1 ? localMean.alias() : world.AllReduceMean(localMean); // equal rows per rank
        center.mul_(Momentum).add_(batchMean.to(center.device), alpha: 1 - Momentum);
    }
}
