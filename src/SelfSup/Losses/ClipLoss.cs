using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Losses;

/// <summary>
/// CLIP's symmetric contrastive loss (Radford et al. 2021, "Learning Transferable Visual Models From Natural Language
/// Supervision", Figure 3 and §2.5): image and text embeddings are L2-normalised, the logits of every image against
/// every text of the batch are their cosines times exp(t), and the loss averages the cross-entropy of picking each
/// image's text (image → text) and each text's image (text → image). It is <see cref="InfoNceLoss"/> with in-batch
/// negatives, taken in both directions, with a temperature that is learned: t is a log-parameterised scalar
/// initialised at ln(1/0.07) (τ = 0.07), and the scale exp(t) is clipped at 100 so the logits never grow beyond it.
/// The module owns t, so it is a parameter of the method that holds the loss (saved in checkpoints, no weight decay
/// as a 0-d parameter).
/// </summary>
public sealed class ClipLoss : nn.Module
{
    /// <summary>The initial t: ln(1/0.07), CLIP's τ = 0.07.</summary>
    public static readonly double InitialLogScale = Math.Log(1 / 0.07);

    /// <summary>The largest logit scale exp(t) (paper §2.5: "clipped to prevent scaling the logits by more than 100").</summary>
    public const double MaxScale = 100;

    readonly Parameter logit_scale;

    /// <param name="initialLogScale">t at initialisation (default ln(1/0.07)).</param>
    /// <param name="learnable">Whether t is trained (paper: true); false fixes τ.</param>
    public ClipLoss(double? initialLogScale = null, bool learnable = true) : base(nameof(ClipLoss))
    {
        var t = initialLogScale ?? InitialLogScale;
        if (!double.IsFinite(t)) throw new ArgumentException($"clip loss: the initial log scale must be finite, got {t}");
        logit_scale = new Parameter(tensor((float)t), requires_grad: learnable);
        RegisterComponents();
    }

    /// <summary>t, the log of the logit scale (a 0-d parameter).</summary>
    public Parameter LogScale => logit_scale;

    /// <summary>The current logit scale exp(t), clipped at <see cref="MaxScale"/>.</summary>
    public double Scale => Math.Min(Math.Exp(logit_scale.item<float>()), MaxScale);

    /// <summary>
    /// Keeps t in [0, ln 100] after an optimizer step, as open_clip does, so the parameter itself never drifts past
    /// the clip (where its gradient would be zero).
    /// </summary>
    public void ClampLogScale()
    {
        using var noGrad = no_grad();
        logit_scale.clamp_(0, Math.Log(MaxScale));
    }

    /// <summary>The loss of image embeddings [N, D] against text embeddings [N, D] (row i of each is one pair).</summary>
    public Tensor forward(Tensor images, Tensor texts) => Compute(images, texts, logit_scale);

    /// <summary>The similarity logits [N, N] (image i against text j), scaled by the clipped exp(t).</summary>
    public Tensor Logits(Tensor images, Tensor texts) => ScaledLogits(images, texts, logit_scale);

    /// <summary>The symmetric loss for a given log scale t (0-d tensor): mean of the image → text and text → image cross-entropies.</summary>
    public static Tensor Compute(Tensor images, Tensor texts, Tensor logScale)
    {
        using var scope = NewDisposeScope();
        var logits = ScaledLogits(images, texts, logScale);                           // [N, N]: image i × text j
        var targets = arange(images.shape[0], dtype: ScalarType.Int64, device: images.device); // [N]
        var imageToText = nn.functional.cross_entropy(logits, targets);
        var textToImage = nn.functional.cross_entropy(logits.t(), targets);
        return ((imageToText + textToImage) / 2).MoveToOuterDisposeScope();
    }

    static Tensor ScaledLogits(Tensor images, Tensor texts, Tensor logScale)
    {
        if (logScale.numel() != 1) throw new ArgumentException($"clip loss: the log scale must be a scalar, got [{string.Join(", ", logScale.shape)}]");
        using var scope = NewDisposeScope();
        // Cosines with the positive on the diagonal: InfoNCE's logits at τ = 1, scaled by the learned exp(t) below.
        var (cosines, _) = InfoNceLoss.Logits(images, texts, temperature: 1.0);     // [N, N]
        var scale = logScale.exp().clamp_max(MaxScale);                              // []
        return (cosines * scale).MoveToOuterDisposeScope();
    }
}
