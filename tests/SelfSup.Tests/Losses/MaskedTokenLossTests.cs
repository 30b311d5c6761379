using SelfSup.Augment;
using SelfSup.Losses;
using static TorchSharp.torch;

namespace SelfSup.Tests.Losses;

public sealed class MaskedTokenLossTests
{
    static readonly float[] Logits =
    [
        0.5f, -1.0f, 2.0f, 0.0f,  // position 0: not chosen
        1.0f, 0.0f, -0.5f, 3.0f,  // position 1: label 2
        -2.0f, 0.25f, 0.0f, 1.5f, // position 2: label 0
    ];

    static double NegLogSoftmax(float[] row, int label) => Math.Log(row.Sum(x => Math.Exp(x))) - row[label];

    [Fact]
    public void Loss_IsTheMeanCrossEntropyOverTheChosenPositions()
    {
        using var logits = tensor(Logits).reshape(1, 3, 4);
        using var labels = tensor(new[] { TokenMasking.Ignore, 2L, 0L }).reshape(1, 3);
        var expected = (NegLogSoftmax(Logits[4..8], 2) + NegLogSoftmax(Logits[8..12], 0)) / 2; // 3.5759… and 3.5797…
        Assert.Equal(expected, MaskedTokenLoss.Compute(logits, labels).item<float>(), 5);
    }

    [Fact]
    public void ChangingTheLogitsOfUnchosenPositions_LeavesTheLossUnchanged()
    {
        using var labels = tensor(new[] { TokenMasking.Ignore, 2L, 0L }).reshape(1, 3);
        using var logits = tensor(Logits).reshape(1, 3, 4);
        using var changed = logits.clone();
        changed[0, 0] = tensor(new[] { 9f, -9f, 4f, 100f });
        Assert.Equal(MaskedTokenLoss.Compute(logits, labels).item<float>(), MaskedTokenLoss.Compute(changed, labels).item<float>());
        // …and no gradient flows to them.
        var x = logits.clone().requires_grad_();
        MaskedTokenLoss.Compute(x, labels).backward();
        Assert.Equal(0f, x.grad!.select(1, 0).abs().sum().item<float>());
        Assert.True(x.grad!.select(1, 1).abs().sum().item<float>() > 0);
    }

    [Fact]
    public void ABatchWithoutChosenPositions_GivesZeroNotNaN()
    {
        var logits = randn(2, 3, 4).requires_grad_();
        using var labels = full(2, 3, TokenMasking.Ignore, ScalarType.Int64);
        var loss = MaskedTokenLoss.Compute(logits, labels);
        Assert.Equal(0f, loss.item<float>());
        loss.backward();
    }

    [Fact]
    public void MismatchedShapes_AreRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => MaskedTokenLoss.Compute(zeros(2, 3, 4), zeros(2, 4, ScalarType.Int64)));
        Assert.Contains("labels", e.Message);
    }
}
