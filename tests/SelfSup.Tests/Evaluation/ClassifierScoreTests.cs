using SelfSup.Evaluation;
using static TorchSharp.torch;

namespace SelfSup.Tests.Evaluation;

public class ClassifierScoreTests
{
    [Fact]
    public void TwoClassLogits_GiveTop1AndTheAurocOfTheLogOdds()
    {
        // log-odds l1 − l0 = [1, −1, 2, −3]; positives (label 1) score 1 and −3, negatives −1 and 2:
        // of the 4 positive/negative pairs only (1 > −1) is ordered right, so AUROC = 1/4; predictions [1, 0, 1, 0] vs
        // labels [1, 0, 0, 1] are half right.
        using var logits = tensor(new float[] { 0, 1, 1, 0, 0, 2, 3, 0 }).view(4, 2);
        var score = ClassifierScore.FromLogits(logits, [1, 0, 0, 1]);
        Assert.Equal(50, score.Top1);
        Assert.Equal(0.25, score.Auroc!.Value, 12);
    }

    [Fact]
    public void MoreThanTwoClasses_HaveNoAuroc()
    {
        using var logits = tensor(new float[] { 3, 0, 0, 0, 3, 0, 0, 0, 3 }).view(3, 3);
        var score = ClassifierScore.FromLogits(logits, [0, 1, 1]);
        Assert.Equal(200.0 / 3, score.Top1, 9);
        Assert.Null(score.Auroc);
    }
}
