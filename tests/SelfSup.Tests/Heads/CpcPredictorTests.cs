using SelfSup.Heads;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Heads;

public class CpcPredictorTests
{
    [Fact]
    public void Context_AtStepT_DoesNotChange_WhenLaterStepsChange()
    {
        manual_seed(0);
        using var predictor = new CpcPredictor(inputDim: 6, contextDim: 8, steps: 2);
        using var g = new Generator(1);
        using var z = randn([3, 7, 6], generator: g);
        using var changed = z.clone();
        using (no_grad()) changed.narrow(1, 4, 3).add_(randn([3, 3, 6], generator: g));
        using var c = predictor.Context(z);                                       // [3, 7, 8]
        using var c2 = predictor.Context(changed);
        Assert.Equal(0f, (c.narrow(1, 0, 4) - c2.narrow(1, 0, 4)).abs().max().item<float>());
        Assert.True((c.narrow(1, 4, 1) - c2.narrow(1, 4, 1)).abs().max().item<float>() > 1e-4, "the context at the changed step did not change");
    }

    [Theory]
    [InlineData(false, 1.0)]
    [InlineData(true, 0.2)]
    public void Loss_IsTheMeanOverSteps_OfTheCrossEntropyOfHandComputedScores(bool cosine, double temperature)
    {
        manual_seed(0);
        using var predictor = new CpcPredictor(inputDim: 4, contextDim: 5, steps: 2, cosine, temperature);
        using var z = randn([3, 5, 4], generator: new Generator(2));                // S 3, T 5, D 4
        using var loss = predictor.Forward(z).Loss;
        using var c = predictor.Context(z);                                         // [3, 5, 5]
        double expected = 0;
        for (int k = 1; k <= 2; k++)
        {
            int n = 3 * (5 - k);
            var q = predictor.Predict(c, k).detach();                               // [3, 5, 4]: W_k c_t
            var queries = new float[n][];
            var keys = new float[n][];
            for (int s = 0, row = 0; s < 3; s++)
                for (int t = 0; t + k < 5; t++, row++)
                {
                    queries[row] = q[s, t].data<float>().ToArray();
                    keys[row] = z[s, t + k].data<float>().ToArray();
                }
            double Score(float[] a, float[] b)
            {
                double dot = 0, na = 0, nb = 0;
                for (int i = 0; i < a.Length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
                return (cosine ? dot / Math.Sqrt(na * nb) : dot) / temperature;
            }
            double sum = 0;
            for (int i = 0; i < n; i++)
            {
                var scores = keys.Select(key => Score(queries[i], key)).ToArray();
                var max = scores.Max();
                sum += max + Math.Log(scores.Sum(v => Math.Exp(v - max))) - scores[i];
            }
            expected += sum / n / 2;
        }
        Assert.Equal(expected, loss.item<float>(), 4);
    }

    [Fact]
    public void Forward_RejectsSequences_TooShortForTheSteps()
    {
        manual_seed(0);
        using var predictor = new CpcPredictor(inputDim: 4, contextDim: 8, steps: 3);
        using var z = randn(2, 3, 4);
        var e = Assert.Throws<ArgumentException>(() => predictor.Forward(z));
        Assert.Contains("T ≥ 4", e.Message);
    }

    /// <summary>
    /// Sinusoids with a random frequency and phase per sequence, encoded window by window with a strided Conv1d: the
    /// next windows are predictable from the past ones, so CPC's loss falls far below its chance value ln N.
    /// </summary>
    [Fact]
    public void Loss_OnPredictableSinusoids_FallsFarBelowChance_WithinOneHundredFiftySteps()
    {
        const int sequences = 16, window = 8, windows = 10, dim = 16, steps = 2;
        manual_seed(0);
        using var encoder = nn.Conv1d(1, dim, window, stride: window);           // one embedding per window
        using var predictor = new CpcPredictor(dim, contextDim: 32, steps);
        var parameters = encoder.parameters().Concat(predictor.parameters()).ToList();
        using var optimizer = optim.Adam(parameters, lr: 3e-2);
        using var g = new Generator(7);
        using var time = arange(window * windows, ScalarType.Float32).view(1, -1);     // [1, L]
        var losses = new List<double>();
        for (int step = 0; step < 150; step++)
        {
            using var scope = NewDisposeScope();
            var frequency = rand([sequences, 1], generator: g) * 0.08 + 0.02;          // cycles per sample
            var phase = rand([sequences, 1], generator: g) * (2 * Math.PI);
            var x = (time * frequency * (2 * Math.PI) + phase).sin().unsqueeze(1);      // [S, 1, L]
            var z = encoder.call(x).permute(0, 2, 1);                                    // [S, T, D]
            var loss = predictor.Forward(z).Loss;
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            losses.Add(loss.item<float>());
        }
        // Step k has N = 16 · (10 − k) queries; at initialisation the predictions are small and the loss is near ln N.
        var chance = (Math.Log(sequences * (windows - 1)) + Math.Log(sequences * (windows - 2))) / 2;
        var (first, last) = (losses[0], losses.TakeLast(10).Average());
        Assert.InRange(first, chance - 0.5, chance + 0.5);
        Assert.True(last < 0.5 * first, $"loss went {first:F3} → {last:F3} (mean of the last 10 steps; chance ≈ {chance:F2})");
    }
}
