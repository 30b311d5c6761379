using SelfSup.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Losses;

public class TeacherCentreTests
{
    [Fact]
    public void Update_IsTheMovingAverageOfTheBatchMean()
    {
        using var centre = new TeacherCentre(2, momentum: 0.9);
        Assert.Equal(new float[] { 0, 0 }, centre.Value.data<float>().ToArray());
        // Batch mean of [[1, 2], [3, −6]] is [2, −2]; from c = 0: c = 0.1 · [2, −2] = [0.2, −0.2].
        using var batch = tensor(new float[] { 1, 2, 3, -6 }).view(2, 2);
        centre.Update(batch);
        Assert.Equal(0.2f, centre.Value[0, 0].item<float>(), 6);
        Assert.Equal(-0.2f, centre.Value[0, 1].item<float>(), 6);
        // Again with [[0, 0], [4, 4]] (mean [2, 2]): c = 0.9 · [0.2, −0.2] + 0.1 · [2, 2] = [0.38, 0.02].
        using var next = tensor(new float[] { 0, 0, 4, 4 }).view(2, 2);
        centre.Update(next);
        Assert.Equal(0.38f, centre.Value[0, 0].item<float>(), 6);
        Assert.Equal(0.02f, centre.Value[0, 1].item<float>(), 6);
    }

    [Fact]
    public void Targets_SubtractTheCentre_ThenSharpen()
    {
        using var centre = new TeacherCentre(2, momentum: 0.9);
        using (no_grad()) centre.Value.copy_(tensor(new float[] { 1, 0 }).view(1, 2));
        using var logits = tensor(new float[] { 1, 0 }).view(1, 2);
        // Centred: [0, 0] → uniform whatever τ; sharpened only: softmax([1, 0] / 0.5) = [e², 1] / (e² + 1).
        using var centred = centre.Targets(logits, 0.5);
        Assert.Equal(new float[] { 0.5f, 0.5f }, centred.data<float>().ToArray());
        using var sharpened = centre.Targets(logits, 0.5, centre: false);
        Assert.Equal(Math.Exp(2) / (Math.Exp(2) + 1), sharpened[0, 0].item<float>(), 6);
        Assert.False(sharpened.requires_grad);
    }

    [Fact]
    public void Centre_IsABuffer_SavedWithTheModule()
    {
        using var centre = new TeacherCentre(3);
        Assert.Empty(centre.parameters());
        Assert.Equal(["center"], centre.state_dict().Keys);
        Assert.Throws<ArgumentException>(() => new TeacherCentre(3, momentum: 1.5));
    }
}
