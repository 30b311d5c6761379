using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Heads;

/// <summary>The normalisation that follows one Linear layer of an <see cref="MlpHead"/>.</summary>
public enum MlpNorm
{
    /// <summary>No normalisation; the Linear layer keeps its bias.</summary>
    None,
    /// <summary>BatchNorm with a learned scale γ and shift β.</summary>
    BatchNorm,
    /// <summary>BatchNorm with a learned scale γ and no shift (google-research/simclr's output layer, <c>center=False</c>).</summary>
    BatchNormNoShift,
    /// <summary>BatchNorm without γ and β (SimSiam's projection output, <c>affine=False</c>).</summary>
    BatchNormNoAffine,
}

/// <summary>
/// Shape of an <see cref="MlpHead"/>: Linear layers <c>InputDim → HiddenDims[0] → … → OutputDim</c>, so
/// <c>HiddenDims.Count + 1</c> layers (one layer when there is no hidden width). Every hidden layer is
/// Linear → <see cref="HiddenNorm"/> → ReLU; the last is Linear → <see cref="OutputNorm"/> with no ReLU.
/// </summary>
public sealed record MlpHeadOptions(int InputDim, IReadOnlyList<int> HiddenDims, int OutputDim)
{
    /// <summary>Normalisation after each hidden Linear layer (SimCLR, BYOL, SimSiam: BatchNorm).</summary>
    public MlpNorm HiddenNorm { get; init; } = MlpNorm.BatchNorm;

    /// <summary>Normalisation after the last Linear layer (lightly's SimCLR v1 and BYOL heads: none).</summary>
    public MlpNorm OutputNorm { get; init; } = MlpNorm.None;

    /// <summary>
    /// Whether the last Linear layer keeps its bias when no norm follows it (Barlow Twins' projector and VICReg's
    /// expander: no). A Linear layer followed by BatchNorm never has one.
    /// </summary>
    public bool OutputBias { get; init; } = true;

    /// <summary>Number of Linear layers.</summary>
    public int Layers => HiddenDims.Count + 1;

    /// <summary>Options for <paramref name="layers"/> Linear layers whose hidden layers all have width <paramref name="hiddenDim"/>.</summary>
    public static MlpHeadOptions Uniform(int inputDim, int hiddenDim, int outputDim, int layers)
    {
        if (layers < 1) throw new ArgumentException($"MlpHeadOptions.Layers: expected ≥ 1, got {layers}");
        return new MlpHeadOptions(inputDim, Enumerable.Repeat(hiddenDim, layers - 1).ToArray(), outputDim);
    }

    internal void Validate()
    {
        if (InputDim < 1) throw new ArgumentException($"MlpHeadOptions.InputDim: expected ≥ 1, got {InputDim}");
        if (OutputDim < 1) throw new ArgumentException($"MlpHeadOptions.OutputDim: expected ≥ 1, got {OutputDim}");
        ArgumentNullException.ThrowIfNull(HiddenDims, "MlpHeadOptions.HiddenDims");
        for (int i = 0; i < HiddenDims.Count; i++)
            if (HiddenDims[i] < 1) throw new ArgumentException($"MlpHeadOptions.HiddenDims[{i}]: expected ≥ 1, got {HiddenDims[i]}");
    }
}

/// <summary>
/// A configurable MLP head (lightly's <c>ProjectionHead</c> blocks): projection and prediction heads of SimCLR,
/// BYOL, SimSiam and their kin differ only in widths, depth and where BatchNorm goes. A Linear layer followed by
/// BatchNorm has no bias (BatchNorm's mean subtraction cancels it). Linear layers keep PyTorch's default init.
/// State-dict keys: <c>net.linear{i}.weight</c> (and <c>.bias</c> without norm, except on an output layer whose
/// <see cref="MlpHeadOptions.OutputBias"/> is false), <c>net.bn{i}.*</c> for the BatchNorm after layer i (no
/// <c>weight</c>/<c>bias</c> for <see cref="MlpNorm.BatchNormNoAffine"/>, no <c>bias</c> for <see cref="MlpNorm.BatchNormNoShift"/>), i = 0 … layers − 1.
/// </summary>
public sealed class MlpHead : nn.Module<Tensor, Tensor>
{
    readonly Sequential net;

    public MlpHead(MlpHeadOptions options) : base(nameof(MlpHead))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        var modules = new List<(string, nn.Module<Tensor, Tensor>)>();
        var dim = options.InputDim;
        for (int i = 0; i < options.Layers; i++)
        {
            var last = i == options.Layers - 1;
            var width = last ? options.OutputDim : options.HiddenDims[i];
            var norm = last ? options.OutputNorm : options.HiddenNorm;
            var bias = norm == MlpNorm.None && (!last || options.OutputBias);
            modules.Add(($"linear{i}", nn.Linear(dim, width, hasBias: bias)));
            if (norm != MlpNorm.None) modules.Add(($"bn{i}", BatchNorm(width, norm)));
            if (!last) modules.Add(($"relu{i}", nn.ReLU(inplace: true)));
            dim = width;
        }
        net = nn.Sequential(modules);
        RegisterComponents();
    }

    public MlpHeadOptions Options { get; }

    public int OutputDim => Options.OutputDim;

    /// <summary>
    /// SimCLR's projection head g as in google-research/simclr (v1 <c>model_util.py</c>, v2 <c>tf2/model.py</c>):
    /// hidden layers Linear (no bias) → BN(γ, β) → ReLU, output Linear (no bias) → BN with γ and no β
    /// (<c>center=False</c>). v1 on ResNet-50: 2048 → 2048 → 128 (2 layers); v2: 3 layers. With
    /// <paramref name="outputBatchNorm"/> false the output layer is a plain Linear with bias, the paper's
    /// g(h) = W₂σ(W₁h) with BN in the hidden layer (lightly's <c>SimCLRProjectionHead</c> for v1). The reference
    /// draws Linear weights from N(0, 0.01²); this head keeps PyTorch's default Linear init.
    /// </summary>
    public static MlpHead SimClr(int inputDim, int hiddenDim = 2048, int outputDim = 128, int layers = 2, bool outputBatchNorm = true) =>
        new(MlpHeadOptions.Uniform(inputDim, hiddenDim, outputDim, layers) with
        {
            OutputNorm = outputBatchNorm ? MlpNorm.BatchNormNoShift : MlpNorm.None,
        });

    /// <summary>
    /// BYOL's projector (Grill et al. 2020, §3.3): Linear 4096 → BN → ReLU → Linear 256, no output norm;
    /// 2048 → 4096 → 256 on ResNet-50. Its predictor q has the same shape, 256 → 4096 → 256.
    /// </summary>
    public static MlpHead Byol(int inputDim, int hiddenDim = 4096, int outputDim = 256) =>
        new(MlpHeadOptions.Uniform(inputDim, hiddenDim, outputDim, 2));

    /// <summary>
    /// SimSiam's projector (Chen and He 2021, §4): 3 layers, BN on every layer including the output, which has no
    /// γ/β (<c>affine=False</c>) and no ReLU; 2048 → 2048 → 2048 → 2048 on ResNet-50; <paramref name="layers"/> sets
    /// the depth.
    /// </summary>
    public static MlpHead SimSiam(int inputDim, int hiddenDim = 2048, int outputDim = 2048, int layers = 3) =>
        new(MlpHeadOptions.Uniform(inputDim, hiddenDim, outputDim, layers) with { OutputNorm = MlpNorm.BatchNormNoAffine });

    /// <summary>
    /// SimSiam's prediction MLP h (Chen and He 2021, §4): a bottleneck Linear → BN → ReLU → Linear with bias and no
    /// output norm, 2048 → 512 → 2048 on ResNet-50.
    /// </summary>
    public static MlpHead SimSiamPredictor(int dim = 2048, int hiddenDim = 512) =>
        new(MlpHeadOptions.Uniform(dim, hiddenDim, dim, 2));

    /// <summary>
    /// MoCo v2's projection (Chen et al. 2020, "Improved Baselines with Momentum Contrastive Learning"; the
    /// facebookresearch/moco <c>--mlp</c> head): Linear → ReLU → Linear with biases and no BatchNorm, 2048 → 2048 → 128
    /// on ResNet-50.
    /// </summary>
    public static MlpHead MocoV2(int inputDim, int hiddenDim = 2048, int outputDim = 128) =>
        new(MlpHeadOptions.Uniform(inputDim, hiddenDim, outputDim, 2) with { HiddenNorm = MlpNorm.None });

    /// <summary>
    /// MoCo v3's projector and predictor (Chen et al. 2021, "An Empirical Study of Training Self-Supervised Vision
    /// Transformers", §4 and facebookresearch/moco-v3 <c>_build_mlp</c>): BN and ReLU after every hidden layer and a
    /// BatchNorm without γ/β on the output; projector 3 layers 4096 → 4096 → 256, predictor 2 layers 256 → 4096 → 256.
    /// </summary>
    public static MlpHead MocoV3(int inputDim, int hiddenDim = 4096, int outputDim = 256, int layers = 3) =>
        new(MlpHeadOptions.Uniform(inputDim, hiddenDim, outputDim, layers) with { OutputNorm = MlpNorm.BatchNormNoAffine });

    /// <summary>
    /// Barlow Twins' projector (Zbontar et al. 2021, §2 "Implementation details"; facebookresearch/barlowtwins
    /// main.py): hidden layers Linear (no bias) → BN → ReLU, the output a Linear without bias and no norm;
    /// 2048 → 8192 → 8192 → 8192 on ResNet-50. VICReg's expander (Bardes et al. 2022, §4.2; facebookresearch/vicreg
    /// <c>Projector</c>) has the same shape; its hidden Linear layers have a bias, which the BN that follows cancels.
    /// </summary>
    public static MlpHead BarlowTwins(int inputDim, int hiddenDim = 8192, int outputDim = 8192, int layers = 3) =>
        new(MlpHeadOptions.Uniform(inputDim, hiddenDim, outputDim, layers) with { OutputBias = false });

    /// <summary>
    /// <see cref="BarlowTwins(int, int, int, int)"/> sized from options where 0 means the default: the output 4 × the
    /// encoder's width (the papers' 8192 on ResNet-50's 2048), the hidden layers as wide as the output.
    /// </summary>
    public static MlpHead BarlowTwinsFor(int encoderDim, int projectionDim, int hiddenDim, int layers)
    {
        var dim = projectionDim > 0 ? projectionDim : 4 * encoderDim;
        return BarlowTwins(encoderDim, hiddenDim > 0 ? hiddenDim : dim, dim, layers);
    }

    public override Tensor forward(Tensor x)
    {
        if (x.dim() != 2 || x.shape[1] != Options.InputDim)
            throw new ArgumentException($"MLP head: expected input [B, {Options.InputDim}], got [{string.Join(", ", x.shape)}]");
        return net.forward(x); // [B, OutputDim]
    }

    static BatchNorm1d BatchNorm(int width, MlpNorm norm)
    {
        var bn = nn.BatchNorm1d(width, affine: norm != MlpNorm.BatchNormNoAffine);
        if (norm == MlpNorm.BatchNormNoShift) bn.bias = null;
        return bn;
    }
}
