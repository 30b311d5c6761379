using SelfSup.Encoders;
using SelfSup.Runs;
using SelfSup.Tests.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Runs;

/// <summary>`--pool`: a ViT checkpoint evaluated through its CLS token or the mean of its patch tokens, its twin alike.</summary>
public sealed class EvalPoolTests : IDisposable
{
    readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    string PretrainVit() =>
        TinyRun.Pretrain(TinyRun.IdxWithoutTestSplit(dir.File("data")), dir.File("run"), encoder: "vit-tiny/p4/d1", width: 16);

    [Theory]
    [InlineData("vit-tiny/p4/d4", VitPool.Mean, "vit-tiny/p4/d4/mean")]
    [InlineData("vit-tiny/p4/mean/d4", VitPool.Cls, "vit-tiny/p4/d4")]
    [InlineData("vit-tiny/p4/mean", VitPool.Mean, "vit-tiny/p4/mean")]
    [InlineData("vit-small/nocls", VitPool.Mean, "vit-small/nocls")]
    public void WithPool_AddsOrDropsTheMeanOverride(string name, VitPool pool, string expected) =>
        Assert.Equal(expected, VitNames.WithPool(name, pool, "--pool"));

    [Fact]
    public void WithPool_RefusesANonVit_AndClsWithoutAClsToken()
    {
        Assert.Contains("--pool: pooling applies to ViT encoders", Assert.Throws<ArgumentException>(() => VitNames.WithPool("resnet18", VitPool.Mean, "--pool")).Message);
        Assert.Contains("no CLS token", Assert.Throws<ArgumentException>(() => VitNames.WithPool("vit-tiny/nocls", VitPool.Cls, "--pool")).Message);
    }

    [Fact]
    public void MeanPooling_GivesTheMeanOfThePatchTokens_ForTheTrainedEncoderAndItsTwin()
    {
        var checkpoint = PretrainVit();
        using var x = randn(3, 1, 16, 16, generator: new Generator(7));
        using var cls = TrainedEncoder.Load(checkpoint);
        using var mean = TrainedEncoder.Load(checkpoint, VitPool.Mean);
        Assert.Equal("vit-tiny/p4/d1", cls.Config.Encoder);
        Assert.Equal("vit-tiny/p4/d1/mean", mean.Config.Encoder);
        var vit = Assert.IsType<Vit>(mean.Encoder);
        vit.eval();
        cls.Encoder.eval();
        using (no_grad())
        {
            using var tokens = vit.ForwardFeatures(x);                                  // [3, 1 + 16, 16]
            using var patchMean = tokens.narrow(1, 1, 16).mean([1]);
            using var pooled = vit.call(x);
            Assert.True(pooled.allclose(patchMean, rtol: 0, atol: 1e-6), "mean pooling: the mean of the 16 patch tokens");
            using var clsOut = cls.Encoder.call(x);
            Assert.True(clsOut.allclose(tokens.select(1, 0), rtol: 0, atol: 1e-6), "the checkpoint's own pooling: its CLS token");
        }
        using var twin = mean.RandomInitTwin();
        Assert.Equal(VitPool.Mean, Assert.IsType<Vit>(twin).Options.Pool);
    }

    [Fact]
    public void APoolForACnnCheckpoint_IsAnErrorNamingTheFlag()
    {
        var checkpoint = TinyRun.Pretrain(TinyRun.IdxWithoutTestSplit(dir.File("cnn-data")), dir.File("cnn-run"));
        var e = Assert.Throws<ArgumentException>(() => TrainedEncoder.Load(checkpoint, VitPool.Mean));
        Assert.Contains("--pool", e.Message);
        Assert.Contains("convnet", e.Message);
    }
}
