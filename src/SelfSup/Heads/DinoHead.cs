using SelfSup.Encoders.Transformer;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Heads;

/// <summary>
/// Shape of a <see cref="DinoHead"/>. The paper's sizes (Caron et al. 2021, §3.1 and appendix) are 2048 hidden,
/// 256 bottleneck and K = 65536 outputs; the defaults here are smaller, for CPU training on small images.
/// </summary>
/// <param name="InputDim">Width of the backbone output (CLS token or pooled features).</param>
/// <param name="HiddenDim">Width of the hidden layers of the MLP (paper: 2048).</param>
/// <param name="BottleneckDim">Width of the L2-normalised bottleneck the last layer reads (paper: 256).</param>
/// <param name="OutputDim">K, the number of output dimensions the softmax runs over (paper: 65536).</param>
/// <param name="Layers">Linear layers of the MLP before the bottleneck (paper: 3).</param>
/// <param name="BatchNorm">
/// BatchNorm after each hidden Linear layer (main_dino.py's <c>use_bn_in_head</c>, off for ViTs). Normalising over
/// the batch keeps the head from mapping every image to one bottleneck direction, which centring then turns into a
/// uniform teacher.
/// </param>
/// <param name="NormLastLayer">
/// The last layer's weight-norm gain fixed at 1 (main_dino.py's and main_ibot.py's <c>norm_last_layer</c>, true by
/// default); false makes it a learned gain per output, as iBOT's ViT-S/16 command does and main_dino.py's help advises
/// for ViT-S ("better performance but can make the training unstable").
/// </param>
public sealed record DinoHeadOptions(int InputDim, int HiddenDim = 512, int BottleneckDim = 128, int OutputDim = 4096, int Layers = 3, bool BatchNorm = false,
    bool NormLastLayer = true)
{
    internal void Validate()
    {
        foreach (var (value, field) in new[] { (InputDim, "InputDim"), (HiddenDim, "HiddenDim"), (BottleneckDim, "BottleneckDim"), (OutputDim, "OutputDim"), (Layers, "Layers") })
            if (value < 1) throw new ArgumentException($"DinoHeadOptions.{field}: expected ≥ 1, got {value}");
    }
}

/// <summary>
/// A Linear layer without bias whose weight is weight-normalised (Salimans and Kingma 2016): each output row is
/// w_k = g_k · v_k / ‖v_k‖. With the gain fixed (DINO's <c>norm_last_layer</c>, the default) g = 1 and the layer computes
/// the cosine between its (normalised) input and K unit directions; with a learned gain, g [K, 1] starts at 1 and is
/// trained like a weight (the references' <c>weight_g</c>, 2-D, so it is weight-decayed as there), letting the outputs
/// grow sharper than cosines. State-dict keys: <c>weight_v</c> [K, D], and <c>weight_g</c> only when learned. v keeps
/// PyTorch's default Linear init.
/// </summary>
public sealed class WeightNormLinear : nn.Module<Tensor, Tensor>
{
    readonly Parameter weight_v;
    readonly Parameter? weight_g;

    /// <param name="learnedGain">A trained gain g per output (norm_last_layer false) instead of g = 1.</param>
    public WeightNormLinear(int inputDim, int outputDim, bool learnedGain = false) : base(nameof(WeightNormLinear))
    {
        using (var init = nn.Linear(inputDim, outputDim, hasBias: false))
            weight_v = new Parameter(init.weight!.detach().clone());
        if (learnedGain) weight_g = new Parameter(ones(outputDim, 1));
        RegisterComponents();
    }

    /// <summary>The unnormalised direction parameter v, [K, D].</summary>
    public Parameter V => weight_v;

    /// <summary>The learned gain g, [K, 1]; null when it is fixed at 1.</summary>
    public Parameter? Gain => weight_g;

    /// <summary>The effective weight g · v / ‖v‖ per output row, [K, D].</summary>
    public Tensor Weight()
    {
        if (weight_g is null) return nn.functional.normalize(weight_v, p: 2, dim: 1);
        using var unit = nn.functional.normalize(weight_v, p: 2, dim: 1);
        return unit * weight_g;
    }

    /// <summary>
    /// Drops v's (and g's) gradient after backward, so the optimiser leaves the layer (and its moments and weight decay)
    /// alone for this step, as DINO's <c>cancel_gradients_last_layer</c> sets every last-layer gradient to None.
    /// </summary>
    public void DropGradient()
    {
        weight_v.grad = null;
        if (weight_g is not null) weight_g.grad = null;
    }

    /// <summary>[..., D] → [..., K].</summary>
    public override Tensor forward(Tensor x)
    {
        using var w = Weight();
        return nn.functional.linear(x, w);
    }
}

/// <summary>
/// DINO's projection head (Caron et al. 2021, "Emerging Properties in Self-Supervised Vision Transformers", §3.1;
/// facebookresearch/dino <c>DINOHead</c>): an MLP of <see cref="DinoHeadOptions.Layers"/> Linear layers with GELU
/// between them (and BatchNorm before each GELU when <see cref="DinoHeadOptions.BatchNorm"/>), ending in the bottleneck width; the bottleneck is L2-normalised and a
/// <see cref="WeightNormLinear"/> layer maps it to K outputs. MLP weights are truncated-normal with std 0.02 and
/// biases zero, as in the reference. Works on any leading shape: [..., InputDim] → [..., K], so iBOT runs it on
/// every token (BatchNorm then runs over all rows of all leading dimensions). State-dict keys: <c>mlp.linear{i}.*</c>,
/// <c>mlp.bn{i}.*</c>, <c>last_layer.weight_v</c> (and <c>last_layer.weight_g</c> with a learned gain).
/// </summary>
public sealed class DinoHead : nn.Module<Tensor, Tensor>
{
    readonly Sequential mlp;
    readonly WeightNormLinear last_layer;

    public DinoHead(DinoHeadOptions options) : base(nameof(DinoHead))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        var modules = new List<(string, nn.Module<Tensor, Tensor>)>();
        var dim = options.InputDim;
        for (int i = 0; i < options.Layers; i++)
        {
            var last = i == options.Layers - 1;
            var width = last ? options.BottleneckDim : options.HiddenDim;
            modules.Add(($"linear{i}", nn.Linear(dim, width)));
            if (!last && options.BatchNorm) modules.Add(($"bn{i}", nn.BatchNorm1d(width)));
            if (!last) modules.Add(($"gelu{i}", nn.GELU()));
            dim = width;
        }
        mlp = nn.Sequential(modules);
        last_layer = new WeightNormLinear(options.BottleneckDim, options.OutputDim, learnedGain: !options.NormLastLayer);
        RegisterComponents();
        TransformerInit.Apply(mlp);
    }

    public DinoHeadOptions Options { get; }

    /// <summary>The weight-normalised output layer: the one DINO keeps frozen during the first epoch.</summary>
    public WeightNormLinear LastLayer => last_layer;

    public int OutputDim => Options.OutputDim;

    /// <summary>The MLP and the L2 normalisation: [..., InputDim] → [..., BottleneckDim] with unit rows.</summary>
    public Tensor Bottleneck(Tensor x)
    {
        if (x.dim() < 2 || x.shape[^1] != Options.InputDim)
            throw new ArgumentException($"DINO head: expected input [..., {Options.InputDim}], got [{string.Join(", ", x.shape)}]");
        if (!Options.BatchNorm || x.dim() == 2)
        {
            using var h = mlp.call(x);
            return nn.functional.normalize(h, p: 2, dim: -1);
        }
        using var rows = x.reshape(-1, Options.InputDim);
        using var flat = mlp.call(rows);
        using var shaped = flat.reshape([.. x.shape[..^1], Options.BottleneckDim]);
        return nn.functional.normalize(shaped, p: 2, dim: -1);
    }

    /// <summary>[..., InputDim] → [..., K] logits.</summary>
    public override Tensor forward(Tensor x)
    {
        using var z = Bottleneck(x);
        return last_layer.call(z);
    }
}
