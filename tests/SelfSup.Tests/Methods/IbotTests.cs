using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Methods;
using SelfSup.Tests.TestSupport;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Methods;

// Make seeds the global generator and some tests build two models from it: another test drawing from it in between
// would give them different weights.
[Collection(GlobalRngCollection.Name)]
public class IbotTests
{
    static readonly IbotOptions Small = new() { OutDim = 32, PatchOutDim = 24, HeadHiddenDim = 16, BottleneckDim = 8, LocalCrops = 2 };

    /// <summary>A 1-block ViT on 16-px images with 4-px patches: a 4×4 grid of 16 tokens.</summary>
    static Ibot Make(IbotOptions? options = null)
    {
        manual_seed(0);
        var vit = new Vit(new VitOptions(InChannels: 1, ImageSize: 16, PatchSize: 4, Dim: 16, Depth: 1, Heads: 2));
        return new Ibot(vit, options ?? Small);
    }

    /// <summary>Two 16-px global crops and two 8-px local crops of 3 images.</summary>
    static Tensor[] Views(int seed = 1)
    {
        var g = new Generator((ulong)seed);
        return [randn(3, 1, 16, 16, generator: g), randn(3, 1, 16, 16, generator: g), randn(3, 1, 8, 8, generator: g), randn(3, 1, 8, 8, generator: g)];
    }

    static StepContext At(int epoch, int epochs = 10, int stepsPerEpoch = 5) =>
        new((long)epoch * stepsPerEpoch, (long)epochs * stepsPerEpoch, epoch, stepsPerEpoch, SingleProcess.Instance);

    [Fact]
    public void NeedsAVitWithAClsToken()
    {
        var e = Assert.Throws<ArgumentException>(() => new Ibot(new TinyEncoder(), Small));
        Assert.Contains("must be a ViT", e.Message);
        var nocls = new Vit(new VitOptions(InChannels: 1, ImageSize: 16, PatchSize: 4, Dim: 16, Depth: 1, Heads: 2, Pool: VitPool.Mean, ClassToken: false));
        Assert.Contains("CLS token", Assert.Throws<ArgumentException>(() => new Ibot(nocls, Small)).Message);
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(false, false)]
    public void Teacher_GetsNoGradient_WhileStudentHeadsAndMaskTokenDo(bool sharedHead, bool normLastLayer)
    {
        using var ibot = Make(Small with { SharedHead = sharedHead, MaskedShare = 1, NormLastLayer = normLastLayer });
        Assert.Equal(!normLastLayer, ibot.named_parameters().Any(p => p.name == "head.last_layer.weight_g"));
        Assert.Equal(!normLastLayer && !sharedHead, ibot.named_parameters().Any(p => p.name == "patch_layer.weight_g"));
        var result = ibot.Step(Views());
        Assert.True(float.IsFinite(result.Loss.item<float>()));
        Assert.True(result.Scalars["patch_loss"].item<float>() > 0, "every global crop is masked, so the patch loss is positive");
        result.Loss.backward();
        foreach (var (name, p) in ibot.TeacherEncoder.named_parameters().Concat(ibot.TeacherHead.named_parameters()))
        {
            Assert.False(p.requires_grad, $"teacher parameter {name} requires grad");
            Assert.Null(p.grad);
        }
        var student = ibot.named_parameters().Where(p => !p.name.StartsWith("teacher_")).ToList();
        Assert.Contains(student, p => p.name == "mask_token");
        Assert.Equal(!sharedHead, student.Any(p => p.name.StartsWith("patch_layer.")));
        foreach (var (name, p) in student)
            Assert.True(p.grad is { } g && g.abs().sum().item<float>() > 0, $"no gradient reached {name}");
    }

    [Fact]
    public void WithNothingMasked_ThePatchLossIsZero_AndBothCentresMoveToATenthOfTheTeacherMeans()
    {
        using var ibot = Make();
        var views = Views();
        using var globals = cat([views[0], views[1]], 0);
        var (cls, patch) = ibot.TeacherLogits(globals);                   // [6, 32], [6, 16, 32]: the head is shared
        Assert.Equal(new long[] { 6, 16, 32 }, patch.shape);
        using var mask = zeros(6, 16);
        var (clsLoss, patchLoss, _, _) = ibot.Loss(views, mask, StepContext.Single());
        Assert.Equal(0f, patchLoss.item<float>());
        Assert.True(clsLoss.item<float>() > 0);
        using var expectedCls = cls.mean([0], keepdim: true) * 0.1;
        using var expectedPatch = patch.flatten(0, 1).mean([0], keepdim: true) * 0.1;
        Assert.True(ibot.Centre.Value.allclose(expectedCls, rtol: 0, atol: 1e-6), "CLS centre");
        Assert.True(ibot.PatchCentre.Value.allclose(expectedPatch, rtol: 0, atol: 1e-6), "patch centre over every patch, masked or not");
        Assert.False(expectedCls.allclose(expectedPatch, rtol: 0, atol: 1e-4), "the two centres differ, so each test can fail");
    }

    [Fact]
    public void PatchLoss_OnlySeesTheMaskedPositions()
    {
        // Mask token 3 of image 0 in the first crop only. The student's view of every other position may change
        // (here: the second crop's pixels) without changing the patch loss.
        using var ibot = Make(Small with { LocalCrops = 0 });
        var views = Views();
        using var mask = zeros(6, 16);
        mask[0, 3] = tensor(1f);
        var context = StepContext.Single();
        var (_, a, _, _) = ibot.Loss([views[0], views[1]], mask, context);
        using var other = views[1] + 1;
        using var fresh = Make(Small with { LocalCrops = 0 });           // same seed, untouched centres
        var (_, b, _, _) = fresh.Loss([views[0], other], mask, context);
        Assert.Equal(a.item<float>(), b.item<float>(), 6);
        Assert.True(a.item<float>() > 0);
    }

    [Fact]
    public void Masks_FollowTheMaskedShare_AndTheRatioRange()
    {
        using var never = Make(Small with { MaskedShare = 0 });
        using var none = never.DrawMasks(8, 8, 8, new Generator(1), CPU);
        Assert.Equal(0f, none.sum().item<float>());
        using var always = Make(Small with { MaskedShare = 1, MaskRatioMin = 0.2, MaskRatioMax = 0.4 });
        using var all = always.DrawMasks(20, 8, 8, new Generator(2), CPU);
        Assert.Equal(new long[] { 20, 64 }, all.shape);
        var counts = all.sum(1).data<float>().ToArray();
        Assert.All(counts, c => Assert.InRange(c, 1, Math.Round(0.4 * 64)));
        using var half = Make(Small with { MaskedShare = 0.5 }).DrawMasks(200, 8, 8, new Generator(3), CPU);
        var masked = half.sum(1).gt(0).sum().item<long>();
        Assert.InRange(masked, 70, 130);
    }

    [Fact]
    public void BothLastLayers_AreFrozenInTheFirstEpoch_AndTrainableAfter()
    {
        using var ibot = Make(Small with { SharedHead = false, MaskedShare = 1 });
        ibot.Step(Views()).Loss.backward();
        ibot.BeforeOptimizerStep(At(0));
        Assert.Null(ibot.Head.LastLayer.V.grad);
        Assert.Null(ibot.PatchLayer.V.grad);
        ibot.zero_grad();
        ibot.Step(Views(2)).Loss.backward();
        ibot.BeforeOptimizerStep(At(1));
        Assert.NotNull(ibot.Head.LastLayer.V.grad);
        Assert.NotNull(ibot.PatchLayer.V.grad);
    }

    [Fact]
    public void LearnedGains_FollowTheEma_IntoTheTeacher()
    {
        using var ibot = Make(Small with { SharedHead = false, NormLastLayer = false });
        using (no_grad())
        {
            ibot.Head.LastLayer.Gain!.fill_(2f);
            ibot.PatchLayer.Gain!.fill_(3f);
        }
        var context = At(0);
        var m = SelfDistillation.Momentum(ibot.Options.TeacherMomentum, ibot.Options.TeacherMomentumEnd, context);
        ibot.AfterOptimizerStep(context);
        var parameters = ibot.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        // The teacher's gains started at 1: m·1 + (1 − m)·g.
        Assert.Equal(m + (1 - m) * 2, parameters["teacher_head.module.last_layer.weight_g"].mean().item<float>(), 5);
        Assert.Equal(m + (1 - m) * 3, parameters["teacher_patch_layer.module.weight_g"].mean().item<float>(), 5);
    }

    [Fact]
    public void PatchTemperature_WarmsUpOnItsOwnSchedule()
    {
        using var ibot = Make(Small with { WarmupTeacherPatchTemp = 0.02, TeacherPatchTemp = 0.08 });
        Assert.Equal((0.04, 0.02), ibot.TeacherTemperatures(At(0, epochs: 100)));
        var (cls, patch) = ibot.TeacherTemperatures(At(29, epochs: 100));
        Assert.Equal(0.07, cls, 12);
        Assert.Equal(0.08, patch, 12);
    }

    [Fact]
    public void ShortTraining_OnRandomImages_KeepsTheLossFinite()
    {
        manual_seed(1);
        var stats = new ChannelStats([0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]);
        Encoder Create() => EncoderRegistry.Create("vit-tiny/p4/d1", new EncoderOptions(3, 16, 16));
        var ctx = new MethodContext(Create(), Create, 16, 3, stats, new Dictionary<string, string>
        {
            ["out_dim"] = "64", ["head_hidden_dim"] = "32", ["bottleneck_dim"] = "16", ["local_crops"] = "2", ["shared_head"] = "false",
        });
        using var ibot = (Ibot)Ibot.Info.Create(ctx);
        var recipe = Ibot.Info.CreateViews(ctx);
        ibot.train();
        using var optimizer = new TrainingOptimizer(ibot.parameters(), OptimizerKind.AdamW, 1e-3, 0.04);
        using var images = randint(0, 256, [8, 3, 16, 16], generator: new Generator(2)).to(ScalarType.Byte);
        var generator = new Generator(3);
        for (int step = 0; step < 4; step++)
        {
            using var scope = NewDisposeScope();
            var context = new StepContext(step, 4, step / 2, 2, SingleProcess.Instance);
            var views = recipe.Apply(images, generator);
            Assert.Equal(8, views[2].shape[2]);                          // local crops in whole 4-px patches
            var result = ibot.TrainingStep(new TrainingBatch(views, arange(8L)), context);
            Assert.True(float.IsFinite(result.Loss.item<float>()), $"loss at step {step}");
            optimizer.ZeroGrad();
            result.Loss.backward();
            ibot.BeforeOptimizerStep(context);
            optimizer.Step();
            ibot.AfterOptimizerStep(context);
        }
    }
}
