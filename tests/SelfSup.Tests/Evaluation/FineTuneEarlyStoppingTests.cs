using SelfSup.Evaluation;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Evaluation;

public class FineTuneEarlyStoppingTests
{
    public FineTuneEarlyStoppingTests() => TorchRuntime.Initialize();

    static void Fill(nn.Module module, float value)
    {
        using var noGrad = no_grad();
        foreach (var p in module.parameters()) p.fill_(value);
    }

    [Fact]
    public void StopsAfterPatienceEpochsWithoutGain_AndRestoresTheBestEpochsWeights()
    {
        using var layer = nn.Linear(2, 2);
        using var stopping = new FineTuneEarlyStopping(2, layer);
        // Weights equal to the epoch number + 1; validation top-1 peaks at epoch 1.
        var scores = new[] { 50.0, 80.0, 70.0, 60.0, 90.0 };
        var stoppedAt = -1;
        for (var epoch = 0; epoch < scores.Length; epoch++)
        {
            Fill(layer, epoch + 1);
            if (stopping.Observe(epoch, scores[epoch], loss: 1.0)) { stoppedAt = epoch; break; }
        }
        Assert.Equal(3, stoppedAt); // epochs 2 and 3 brought nothing better
        Assert.Equal(1, stopping.BestEpoch);
        stopping.RestoreBest();
        Assert.All(layer.parameters(), p => Assert.Equal(2f, p.max().item<float>()));
        Assert.All(layer.parameters(), p => Assert.Equal(2f, p.min().item<float>()));
    }

    [Fact]
    public void EqualTop1_IsBrokenByTheLowerLoss()
    {
        using var layer = nn.Linear(1, 1);
        using var stopping = new FineTuneEarlyStopping(null, layer);
        Fill(layer, 1);
        stopping.Observe(0, 60, 0.9);
        Fill(layer, 2);
        stopping.Observe(1, 60, 0.5);
        Fill(layer, 3);
        stopping.Observe(2, 60, 0.7);
        Assert.Equal(1, stopping.BestEpoch);
        stopping.RestoreBest();
        Assert.Equal(2f, layer.weight!.item<float>());
    }

    [Fact]
    public void WithoutPatience_ItNeverAsksToStop()
    {
        using var layer = nn.Linear(1, 1);
        using var stopping = new FineTuneEarlyStopping(null, layer);
        Assert.False(stopping.Observe(0, 90, 0.1));
        for (var epoch = 1; epoch < 50; epoch++) Assert.False(stopping.Observe(epoch, 10, 5));
    }
}
