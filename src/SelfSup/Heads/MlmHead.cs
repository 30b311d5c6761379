using SelfSup.Encoders.Transformer;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Heads;

/// <summary>
/// BERT's masked-LM head (Devlin et al. 2019; google-research/bert <c>get_masked_lm_output</c>): Linear(D, D) → GELU →
/// LayerNorm → Linear(D, V) to the vocabulary with its own bias. With a tied decoder the output weight is the token
/// embedding's [V, D] matrix (as BERT ties them), read through <c>tiedWeight</c> and not registered here, so the
/// parameter is saved and optimised once, with the encoder. State-dict keys: <c>transform</c>, <c>norm</c>,
/// <c>decoder</c> (untied only), <c>bias</c>.
/// </summary>
public sealed class MlmHead : nn.Module<Tensor, Tensor>
{
    readonly Linear transform;
    readonly GELU act;
    readonly LayerNorm norm;
    readonly Linear? decoder;
    readonly Parameter bias;
    readonly Func<Tensor>? tiedWeight;

    /// <param name="dim">Width of the token states.</param>
    /// <param name="vocabSize">Number of token ids.</param>
    /// <param name="tiedWeight">Gives the token embedding's weight [V, D] to use as the output layer; null: an own Linear.</param>
    public MlmHead(int dim, int vocabSize, Func<Tensor>? tiedWeight = null) : base(nameof(MlmHead))
    {
        transform = nn.Linear(dim, dim);
        act = nn.GELU();
        norm = nn.LayerNorm(dim, eps: 1e-12); // BERT's layer_norm_eps
        decoder = tiedWeight is null ? nn.Linear(dim, vocabSize, hasBias: false) : null;
        bias = new Parameter(zeros(vocabSize));
        this.tiedWeight = tiedWeight;
        RegisterComponents();
        TransformerInit.Apply(this);
    }

    public bool Tied => tiedWeight is not null;

    /// <summary>Token states [..., D] → vocabulary logits [..., V].</summary>
    public override Tensor forward(Tensor states)
    {
        using var scope = NewDisposeScope();
        var h = norm.call(act.call(transform.call(states))); // [..., D]
        var logits = tiedWeight is { } w ? h.matmul(w().t()) : decoder!.call(h); // [..., V]
        return logits.add(bias).MoveToOuterDisposeScope();
    }
}
