using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Methods;
using SelfSup.Tests.TestSupport;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Methods;

[Collection(GlobalRngCollection.Name)]
public class DinoTests
{
    static readonly DinoOptions Small = new() { OutDim = 32, HeadHiddenDim = 16, BottleneckDim = 8, LocalCrops = 2 };

    static Dino Make(DinoOptions? options = null)
    {
        manual_seed(0);
        return new Dino(new TinyEncoder(channels: 1, width: 8), () => new TinyEncoder(channels: 1, width: 8), options ?? Small);
    }

    /// <summary>Two 8-px global crops and two 4-px local crops of 3 images.</summary>
    static Tensor[] Views(int seed = 1)
    {
        var g = new Generator((ulong)seed);
        return [randn(3, 1, 8, 8, generator: g), randn(3, 1, 8, 8, generator: g), randn(3, 1, 4, 4, generator: g), randn(3, 1, 4, 4, generator: g)];
    }

    static StepContext At(int epoch, int epochs = 10, int stepsPerEpoch = 5) =>
        new((long)epoch * stepsPerEpoch, (long)epochs * stepsPerEpoch, epoch, stepsPerEpoch, SingleProcess.Instance);

    [Fact]
    public void Teacher_StartsAsACopy_AndGetsNoGradient_WhileTheStudentDoes()
    {
        using var dino = Make();
        var result = dino.Step(Views());
        result.Loss.backward();
        foreach (var (name, p) in dino.TeacherEncoder.named_parameters().Concat(dino.TeacherHead.named_parameters()))
        {
            Assert.False(p.requires_grad, $"teacher parameter {name} requires grad");
            Assert.Null(p.grad);
        }
        foreach (var (name, p) in dino.Encoder.named_parameters().Concat(dino.Head.named_parameters()))
            Assert.True(p.grad is { } g && g.abs().sum().item<float>() > 0, $"no gradient reached student parameter {name}");
        Assert.True(float.IsFinite(result.Loss.item<float>()));
    }

    [Fact]
    public void Centre_IsUpdatedAfterTheLoss_WithTheTeacherOutputsOfTheGlobalCrops()
    {
        using var dino = Make();
        var views = Views();
        using var teacher = dino.TeacherLogits(views[0], views[1]); // [2B, K], unchanged by the step (no EMA update yet)
        Assert.Equal(new long[] { 6, 32 }, teacher.shape);
        dino.Step(views);
        // From c = 0 with momentum 0.9: c = 0.1 · mean over the 6 global-crop rows.
        using var expected = teacher.mean([0], keepdim: true) * 0.1;
        Assert.True(dino.Centre.Value.allclose(expected, rtol: 0, atol: 1e-6), "centre = 0.1 × batch mean of the teacher's global-crop outputs");
        Assert.True(expected.abs().max().item<float>() > 1e-4, "the expected centre is not trivially zero");

        using var off = Make(Small with { Centering = false });
        off.Step(views);
        Assert.Equal(0f, off.Centre.Value.abs().max().item<float>());
    }

    [Fact]
    public void TeacherTemperature_WarmsUpLinearly_FromItsStartToItsEnd()
    {
        using var dino = Make();
        Assert.Equal(0.04, dino.TeacherTemperature(At(0, epochs: 100)), 12);
        Assert.Equal(0.07, dino.TeacherTemperature(At(29, epochs: 100)), 12);
        Assert.Equal(0.07, dino.TeacherTemperature(At(99, epochs: 100)), 12);
        // A 10-epoch run warms up over 30 % of its epochs: 0.04, 0.055, 0.07, then 0.07.
        Assert.Equal([0.04, 0.055, 0.07, 0.07], Enumerable.Range(0, 4).Select(e => Math.Round(dino.TeacherTemperature(At(e)), 12)));
        var scalars = dino.Step(Views()).Scalars;
        Assert.Equal(0.04f, scalars["teacher_temp"].item<float>(), 6);
    }

    [Fact]
    public void LastLayer_IsFrozenInTheFirstEpoch_AndTrainableAfter()
    {
        using var dino = Make();
        dino.Step(Views()).Loss.backward();
        Assert.NotNull(dino.Head.LastLayer.V.grad);
        dino.BeforeOptimizerStep(At(0));
        Assert.Null(dino.Head.LastLayer.V.grad);
        Assert.NotNull(dino.Encoder.parameters().First().grad);

        dino.zero_grad();
        dino.Step(Views(2)).Loss.backward();
        dino.BeforeOptimizerStep(At(1));
        Assert.True(dino.Head.LastLayer.V.grad is { } g && g.abs().sum().item<float>() > 0, "the last layer trains from epoch 1 on");
    }

    [Fact]
    public void Teacher_FollowsTheEma_WithMomentumOnACosineFrom0996To1()
    {
        using var dino = Make();
        var student = dino.Head.named_parameters().First(p => p.name == "mlp.linear0.bias").parameter;
        var teacher = dino.TeacherHead.named_parameters().First(p => p.name == "mlp.linear0.bias").parameter;
        using (no_grad())
        {
            student.fill_(1f);
            teacher.fill_(3f);
        }
        dino.AfterOptimizerStep(StepContext.Single(0, 101));
        Assert.Equal(0.996 * 3 + 0.004, teacher.mean().item<float>(), 5);
        // Halfway along the cosine: m = 1 − 0.004 · ½ = 0.998; teacher = 0.998 · 2.992 + 0.002 · 1.
        dino.AfterOptimizerStep(StepContext.Single(50, 101));
        Assert.Equal(0.998 * (0.996 * 3 + 0.004) + 0.002, teacher.mean().item<float>(), 5);
        using var before = teacher.detach().clone();
        dino.AfterOptimizerStep(StepContext.Single(100, 101));   // m = 1 at the last step
        Assert.True(teacher.eq(before).all().item<bool>());
    }

    [Fact]
    public void Views_AreTwoGlobalCropsAndTheLocalCrops_WholePatchesForAVit()
    {
        var stats = new ChannelStats([0.5f], [0.25f]);
        using var vit = new Vit(new VitOptions(InChannels: 1, ImageSize: 32, PatchSize: 4, Dim: 16, Depth: 1, Heads: 2));
        var ctx = new MethodContext(vit, () => vit, 32, 1, stats, new Dictionary<string, string>());
        var views = (MultiCrop)Dino.Info.CreateViews(ctx);
        Assert.Equal(2 + new DinoOptions().LocalCrops, views.ViewCount);
        Assert.Equal(12, views.LocalSize);                 // 96/224 of 32 px is 13.7, rounded to whole 4-px patches
        Assert.Equal(0.4, views.Options.GlobalScaleMin);
        var twoCrops = (MultiCrop)Dino.Info.CreateViews(ctx with { Overrides = new Dictionary<string, string> { ["local_crops"] = "0" } });
        Assert.Equal(2, twoCrops.ViewCount);
        Assert.Equal(0.14, twoCrops.Options.GlobalScaleMin);
    }

    [Theory]
    [InlineData("resnet18", 4)]
    [InlineData("vit-tiny/p4/d1", 16)]
    public void ShortTraining_OnRandomImages_KeepsTheLossFinite(string encoderName, int width)
    {
        manual_seed(1);
        var stats = new ChannelStats([0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]);
        Encoder Create() => EncoderRegistry.Create(encoderName, new EncoderOptions(3, 16, width));
        var ctx = new MethodContext(Create(), Create, 16, 3, stats, new Dictionary<string, string>
        {
            ["out_dim"] = "64", ["head_hidden_dim"] = "32", ["bottleneck_dim"] = "16", ["local_crops"] = "2",
        });
        using var dino = (Dino)Dino.Info.Create(ctx);
        var recipe = Dino.Info.CreateViews(ctx);
        dino.train();
        using var optimizer = new TrainingOptimizer(dino.parameters(), OptimizerKind.AdamW, 1e-3, 0.04);
        using var images = randint(0, 256, [8, 3, 16, 16], generator: new Generator(2)).to(ScalarType.Byte);
        var generator = new Generator(3);
        for (int step = 0; step < 4; step++)
        {
            using var scope = NewDisposeScope();
            var context = new StepContext(step, 4, step / 2, 2, SingleProcess.Instance);
            var views = recipe.Apply(images, generator);
            Assert.Equal(4, views.Length);
            var result = dino.TrainingStep(new TrainingBatch(views, arange(8L)), context);
            Assert.True(float.IsFinite(result.Loss.item<float>()), $"{encoderName}: loss at step {step}");
            optimizer.ZeroGrad();
            result.Loss.backward();
            dino.BeforeOptimizerStep(context);
            optimizer.Step();
            dino.AfterOptimizerStep(context);
        }
        Assert.Equal(new long[] { 8, dino.Encoder.EmbeddingDim }, dino.Representation.forward(randn(8, 3, 16, 16)).shape);
    }
}
