using SelfSup.Interop;
using static TorchSharp.torch;

namespace SelfSup.Tests.Interop;

public class StateDictCheckTests
{
    public StateDictCheckTests() => TorchRuntime.Initialize();

    [Fact]
    public void AFittingStateDict_HasNoProblems()
    {
        using var scope = NewDisposeScope();
        var expected = new Dictionary<string, Tensor> { ["w"] = zeros(2, 3), ["n"] = tensor(0L) };
        var actual = new Dictionary<string, Tensor> { ["w"] = ones(2, 3), ["n"] = tensor(7L) };
        Assert.Empty(StateDictCheck.Problems(expected, actual));
    }

    [Fact]
    public void EveryProblem_NamesItsKey()
    {
        using var scope = NewDisposeScope();
        var expected = new Dictionary<string, Tensor>
        {
            ["conv1.weight"] = zeros(16, 3, 3, 3),
            ["bn1.weight"] = zeros(16),
            ["bn1.num_batches_tracked"] = tensor(0L),
        };
        var actual = new Dictionary<string, Tensor>
        {
            ["conv1.weight"] = zeros(32, 3, 3, 3),
            ["bn1.num_batches_tracked"] = tensor(0.0),
            ["fc.weight"] = zeros(10, 16),
        };
        var problems = StateDictCheck.Problems(expected, actual);
        Assert.Equal(
            [
                "'conv1.weight': shape [32, 3, 3, 3], expected [16, 3, 3, 3]",
                "missing key 'bn1.weight' (shape [16], Float32)",
                "'bn1.num_batches_tracked': dtype Float64, expected Int64",
                "unexpected key 'fc.weight' (shape [10, 16])",
            ],
            problems);
        var e = Assert.Throws<InvalidDataException>(() => StateDictCheck.Validate(expected, actual, "w.safetensors", "ResNet18"));
        Assert.StartsWith("w.safetensors: does not fit ResNet18: 'conv1.weight'", e.Message);
    }
}
