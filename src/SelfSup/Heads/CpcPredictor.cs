using SelfSup.Losses;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SelfSup.Heads;

/// <summary>One CPC objective's value: the InfoNCE loss averaged over the prediction steps and the contrastive top-1 accuracy (detached).</summary>
public sealed record CpcOutput(Tensor Loss, Tensor Accuracy);

/// <summary>
/// The part of CPC (van den Oord et al. 2018, "Representation Learning with Contrastive Predictive Coding") that
/// works on any sequence of embeddings z [S, T, D]: an autoregressive context network — a one-layer GRU, as the
/// paper's audio model — summarises z₁…z_t into c_t [S, T, H]; one Linear map W_k per step k = 1…K predicts
/// z_{t+k} from c_t; InfoNCE (<see cref="InfoNceLoss"/>) asks each prediction W_k c_t to pick the true z_{t+k} out of
/// the z at every other (sequence, position) pair that step k can reach in the batch. The score is the paper's
/// log-bilinear f_k = exp(z_{t+k}ᵀ W_k c_t): a raw dot product at temperature 1; cosine similarity / τ is the
/// option. The GRU reads each sequence forward only, so c_t never depends on z after t. Images use it on the
/// columns of their patch grid, rows as time (<c>Methods.Cpc</c>).
/// </summary>
public sealed class CpcPredictor : nn.Module
{
    readonly GRU context;
    readonly ModuleList<Linear> predictors;

    /// <param name="inputDim">D, the width of z.</param>
    /// <param name="contextDim">H, the GRU's hidden width (paper: 256).</param>
    /// <param name="steps">K, the steps predicted ahead (paper: 12 for audio, 5 rows for images).</param>
    /// <param name="cosine">Score by cosine similarity / τ instead of the raw dot product.</param>
    /// <param name="temperature">τ dividing the scores (paper: 1).</param>
    public CpcPredictor(int inputDim, int contextDim, int steps, bool cosine = false, double temperature = 1.0) : base(nameof(CpcPredictor))
    {
        if (inputDim < 1) throw new ArgumentException($"CpcPredictor.input_dim: expected ≥ 1, got {inputDim}");
        if (contextDim < 1) throw new ArgumentException($"CpcPredictor.context_dim: expected ≥ 1, got {contextDim}");
        if (steps < 1) throw new ArgumentException($"CpcPredictor.steps: expected ≥ 1, got {steps}");
        if (!(temperature > 0)) throw new ArgumentException($"CpcPredictor.temperature: expected > 0, got {temperature}");
        InputDim = inputDim;
        ContextDim = contextDim;
        Steps = steps;
        Cosine = cosine;
        Temperature = temperature;
        context = nn.GRU(inputDim, contextDim, batchFirst: true);
        predictors = nn.ModuleList(Enumerable.Range(0, steps).Select(_ => nn.Linear(contextDim, inputDim)).ToArray());
        RegisterComponents();
    }

    public int InputDim { get; }
    public int ContextDim { get; }
    public int Steps { get; }
    public bool Cosine { get; }
    public double Temperature { get; }

    /// <summary>The autoregressive context c [S, T, H] of sequences z [S, T, D]: c_t summarises z₁…z_t.</summary>
    public Tensor Context(Tensor z)
    {
        Check(z, minLength: 1);
        var (c, h) = context.call(z, null);                                        // c [S, T, H], h [1, S, H]
        h.Dispose();
        return c;
    }

    /// <summary>The prediction W_k c_t [S, T, D] of z_{t+k} (k = 1…K) from contexts c [S, T, H].</summary>
    public Tensor Predict(Tensor c, int k)
    {
        if (k < 1 || k > Steps) throw new ArgumentException($"CpcPredictor: step k must be in 1…{Steps}, got {k}");
        return predictors[k - 1].call(c);
    }

    /// <summary>
    /// The CPC loss of sequences z [S, T, D] (T &gt; K): for each k, the S·(T − k) predictions W_k c_t (t &lt; T − k)
    /// are the queries and z_{t+k} their keys; every other row's key — another position or another sequence — is a
    /// negative. The loss is the mean over k of the InfoNCE losses (each ≈ ln(S·(T − k)) at chance).
    /// </summary>
    public CpcOutput Forward(Tensor z)
    {
        Check(z, minLength: Steps + 1);
        using var scope = NewDisposeScope();
        var (s, t, d) = (z.shape[0], z.shape[1], z.shape[2]);
        var c = Context(z);                                                        // [S, T, H]
        var losses = new List<Tensor>();
        var correct = new List<Tensor>();
        for (int k = 1; k <= Steps; k++)
        {
            var queries = Predict(c.narrow(1, 0, t - k), k).reshape(s * (t - k), d); // [S·(T−k), D]: W_k c_t
            var keys = z.narrow(1, k, t - k).reshape(s * (t - k), d);                  // [S·(T−k), D]: z_{t+k}
            var (logits, targets) = InfoNceLoss.Logits(queries, keys, Temperature, normalize: Cosine); // [S·(T−k), S·(T−k)]
            losses.Add(nn.functional.cross_entropy(logits, targets));
            correct.Add(logits.detach().argmax(1).eq(targets).to(ScalarType.Float32).mean());
        }
        var loss = stack(losses).mean();
        var accuracy = stack(correct).mean();
        return new CpcOutput(loss.MoveToOuterDisposeScope(), accuracy.MoveToOuterDisposeScope());
    }

    void Check(Tensor z, int minLength)
    {
        if (z.dim() != 3 || z.shape[2] != InputDim)
            throw new ArgumentException($"CpcPredictor: expected sequences [S, T, {InputDim}], got [{string.Join(", ", z.shape)}]");
        if (z.shape[1] < minLength)
            throw new ArgumentException($"CpcPredictor: sequences of {z.shape[1]} steps are too short to predict {Steps} steps ahead; expected T ≥ {minLength}");
    }
}
