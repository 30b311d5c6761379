using SelfSup.Encoders;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Encoders;

public class ConvInitTests
{
    public ConvInitTests() => TorchRuntime.Initialize();

    [Fact]
    public void ConvWeights_HaveKaimingFanOutStd_AndNormsStartAtOneAndZero()
    {
        using var model = ResNet.ResNet18(new ResNetOptions(InChannels: 3, Width: 16, UseChannelsLast: false));
        var p = model.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        // layer4.0.conv2: [128, 128, 3, 3], fan_out = 128·9, std = sqrt(2 / fan_out) = 0.041667.
        using (var std = p["layer4.0.conv2.weight"].std())
            Assert.InRange(std.item<float>(), 0.041667 * 0.98, 0.041667 * 1.02);
        // conv1 (CIFAR stem): [16, 3, 3, 3], fan_out = 16·9 (fan_in would give 3·9 and std 0.27).
        using (var std = p["conv1.weight"].std())
            Assert.InRange(std.item<float>(), 0.1179 * 0.85, 0.1179 * 1.15);
        using (var mean = p["layer3.1.bn2.weight"].mean()) Assert.Equal(1f, mean.item<float>());
        using (var absSum = p["layer3.1.bn2.bias"].abs().sum()) Assert.Equal(0f, absSum.item<float>());
    }
}
