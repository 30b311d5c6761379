using SelfSup.Augment;
using SelfSup.Encoders;
using SelfSup.Methods;
using SelfSup.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Methods;

[Collection(GlobalRngCollection.Name)]
public class VideoColorizationTests
{
    static readonly ChannelStats Rgb = new([0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]);

    static readonly VideoColorizationOptions Still = new() { MaxShift = 0, MaxZoom = 0 };

    /// <summary>Normalised RGB images [n, 3, size, size] of smooth colour: random 4×4 colour fields upsampled bilinearly.</summary>
    static Tensor ColourImages(int n, int size, int seed)
    {
        var coarse = rand(n, 3, 4, 4, generator: new Generator((ulong)seed));
        return Rgb.Normalize(nn.functional.interpolate(coarse, [size, size], mode: InterpolationMode.Bilinear, align_corners: false));
    }

    static ResNet SmallResNet() => ResNet.ResNet18(new ResNetOptions(InChannels: 1, Width: 4));

    [Fact]
    public void Pointer_WithDistinctOneHotEmbeddings_OnIdenticalFrames_CopiesTheReferenceColoursExactly()
    {
        using var scope = NewDisposeScope();
        // Four positions (2×2), position i embedded as the i-th unit vector: fᵢ·f_j = [i = j], so at T = 0.01 the
        // softmax puts weight 1 − 3e−100 on i = j.
        var f = eye(4).view(4, 2, 2).unsqueeze(0);                                           // [1, 4, 2, 2]
        var logits = VideoColorization.PointerLogits(f, f, temperature: 0.01);              // [1, 4, 4]
        Assert.Equal(100f, logits[0, 2, 2].item<float>(), 4);
        Assert.Equal(0f, logits[0, 1, 2].item<float>());
        var ab = tensor(new float[] { 10, -20, 30, 5, 60, 0, -40, 15 }).view(1, 2, 4);   // [1, 2, Nr]
        var copied = VideoColorization.Propagate(logits, ab);
        Assert.Equal(0f, (copied - ab).abs().max().item<float>(), 5);
    }

    [Fact]
    public void Pointer_OfAPermutedFrame_FollowsThePermutation()
    {
        using var scope = NewDisposeScope();
        var reference = eye(4).view(4, 2, 2).unsqueeze(0);                                   // [1, 4, 2, 2]
        var order = tensor(new long[] { 2, 0, 3, 1 });
        var target = reference.flatten(2).index_select(2, order).view(1, 4, 2, 2);         // target j shows reference order[j]
        var values = tensor(new float[] { 1, 2, 3, 4 }).view(1, 1, 4);
        var copied = VideoColorization.Propagate(VideoColorization.PointerLogits(reference, target, 0.01), values);
        Assert.Equal(new float[] { 3, 1, 4, 2 }, copied.flatten().data<float>().ToArray().Select(v => MathF.Round(v, 4)));
    }

    [Fact]
    public void PointerLoss_IsTheCrossEntropyOfTheCopiedDistribution_AndSkipsUncopyablePositions()
    {
        using var scope = NewDisposeScope();
        // Two reference positions with logits (ln 3, 0) for both targets: A = (3/4, 1/4). Target 0 has the first
        // position's cluster: −ln 3/4. Target 1 has a cluster the reference lacks: left out.
        var logits = tensor(new float[] { (float)Math.Log(3), (float)Math.Log(3), 0, 0 }).view(1, 2, 2);
        var loss = VideoColorization.PointerLoss(logits, tensor(new long[] { 0, 1 }).view(1, 2), tensor(new long[] { 0, 5 }).view(1, 2));
        Assert.Equal(-Math.Log(0.75), loss.item<float>(), 5);
        // Both reference positions in the target's cluster: everything copies it, the loss is 0.
        var sure = VideoColorization.PointerLoss(logits, tensor(new long[] { 4, 4 }).view(1, 2), tensor(new long[] { 4, 4 }).view(1, 2));
        Assert.Equal(0f, sure.item<float>(), 6);
    }

    [Fact]
    public void CopyBaseline_OnAZeroMotionClip_IsPerfect()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var method = new VideoColorization(new TinyEncoder(channels: 1), 8, Rgb, Still);
        var x = ColourImages(3, 8, seed: 2);
        method.train();
        method.Step(method.Clips.Apply(x, new Generator(1)));                                 // fits the clusters on this batch
        Assert.True(method.ClustersFitted);
        var scores = method.ExtraScores(x, new Generator(3));
        Assert.Equal(new[] { "copy_accuracy", "propagated_ab_error", "copy_ab_error" }, method.ExtraScoreNames);
        Assert.Equal(2 * 3 * 64, scores[0].Count);                                          // 2 later frames × 3 clips × 8×8 positions
        Assert.Equal(100.0, scores[0].Sum / scores[0].Count, 9);
        Assert.Equal(0.0, scores[2].Sum / scores[2].Count, 6);
        // The pointer of an untrained encoder mixes colours: its error is above the copy's 0.
        Assert.True(scores[1].Sum / scores[1].Count > 0.1);
        Assert.True(method.training);
    }

    [Fact]
    public void Step_OnAResNet_ReadsItsLastTwoStages_AndEveryParameterGetsAGradient()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var method = new VideoColorization(SmallResNet(), 16, Rgb, new VideoColorizationOptions());
        method.train();
        var frames = method.Clips.Apply(ColourImages(4, 16, seed: 4), new Generator(5));
        var (map, embedding) = method.Embed(LightnessEncoder.Lab(frames[0], Rgb));
        Assert.Equal(new long[] { 4, 64, 4, 4 }, map.shape);                               // the third stage's 4×4 on 16 px, not the fourth's 2×2
        Assert.Equal(new long[] { 4, 32 }, embedding.shape);
        var result = method.Step(frames);
        var loss = result.Loss.item<float>();
        Assert.True(float.IsFinite(loss) && loss > 0, $"loss {loss}");
        result.Loss.backward();
        Assert.All(method.parameters(), p => Assert.True(p.grad is { } g && g.abs().sum().item<float>() > 0));
        Assert.InRange(result.Scalars["pretext_accuracy"].item<float>(), 0f, 1f);
        Assert.InRange(result.Scalars["copy_accuracy"].item<float>(), 0f, 1f);
        Assert.True(result.Scalars.ContainsKey("embedding_std"));
    }

    [Fact]
    public void Loss_FallsOverAFewAdamSteps_OnATinyBatch()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        using var method = new VideoColorization(new TinyEncoder(channels: 1, width: 16), 8, Rgb, new VideoColorizationOptions { MaxShift = 1 });
        method.train();
        var frames = method.Clips.Apply(ColourImages(8, 8, seed: 6), new Generator(7));
        using var optimizer = optim.Adam(method.parameters(), lr: 1e-2);
        var losses = new List<float>();
        for (var i = 0; i < 30; i++)
        {
            using var step = NewDisposeScope();
            optimizer.zero_grad();
            var loss = method.Step(frames).Loss;
            losses.Add(loss.item<float>());
            loss.backward();
            optimizer.step();
        }
        Assert.True(losses[^1] < 0.7 * losses[0], $"loss {losses[0]} → {losses[^1]}");
    }

    [Fact]
    public void BeforeEpoch_ClustersTheTrainingColours_AndTheChanceIsTheLargestClustersShare()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var method = new VideoColorization(new TinyEncoder(channels: 1), 8, Rgb, new VideoColorizationOptions { Clusters = 4 });
        Assert.Equal(0.25, method.PretextChance, 9);
        // Two flat colours, red and blue, 3 images each: their ab are two of the 4 centres.
        using var data = RedThenBlue();
        method.BeforeEpoch(new EpochContext(0, 0, data, Rgb, CPU, 1, 0, 1));
        Assert.Equal(6 * 64f, method.ClusterCounts.sum().item<float>());
        Assert.Equal(0.5, method.PretextChance, 6);
        AssertACentreAt(method, 1, 0, 0);
    }

    [Fact]
    public void BeforeEpoch_OnPartOfADatasetStoredClassByClass_ClustersEveryClassesColours()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var method = new VideoColorization(new TinyEncoder(channels: 1), 8, Rgb, new VideoColorizationOptions { Clusters = 2, KMeansImages = 2 });
        // 3 red images, then 3 blue; 2 of them are clustered: the first two would both be red.
        using var data = RedThenBlue();
        method.BeforeEpoch(new EpochContext(0, 0, data, Rgb, CPU, 1, 0, 1));
        Assert.Equal(2 * 64f, method.ClusterCounts.sum().item<float>());
        AssertACentreAt(method, 0, 0, 1);
    }

    /// <summary>3 flat red 8×8 images, then 3 flat blue ones (labels 0 and 1).</summary>
    static SelfSup.Data.ImageDataset RedThenBlue()
    {
        var red = new byte[] { 255, 0, 0 };
        var blue = new byte[] { 0, 0, 255 };
        var pixels = Enumerable.Range(0, 6).SelectMany(i => (i < 3 ? red : blue).SelectMany(v => Enumerable.Repeat(v, 64))).ToArray();
        return new SelfSup.Data.ImageDataset("red, then blue", tensor(pixels, [6, 3, 8, 8]), [0, 0, 0, 1, 1, 1]);
    }

    static void AssertACentreAt(VideoColorization method, float r, float g, float b)
    {
        var ab = CieLab.RgbToLab(tensor(new[] { r, g, b }).view(1, 3, 1, 1)).narrow(1, 1, 2).flatten();
        var nearest = (method.Centroids - ab).square().sum(1).min().item<float>();
        Assert.True(nearest < 1e-3, $"no centre at the ab of ({r}, {g}, {b}) (squared distance {nearest})");
    }

    [Fact]
    public void PretextScore_CountsEveryTargetPosition_AndPicturesShowFiveColumnsOfTheImagesShape()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var method = new VideoColorization(new TinyEncoder(channels: 1), 8, Rgb, Still);
        var x = ColourImages(3, 8, seed: 8);
        method.train();
        method.Step(method.Clips.Apply(x, new Generator(1)));
        var (correct, total) = method.PretextScore(x, new Generator(1));
        Assert.Equal(2 * 3 * 64, total);
        Assert.InRange(correct, 0, total);
        var columns = method.ReconstructionColumns(x, new Generator(1));
        Assert.Equal(method.PictureColumns.Count, columns.Length);
        Assert.All(columns, c => Assert.Equal(x.shape, c.shape));
        Assert.True(method.training);
        // Without motion: the reference and the target are the image's crop; the copy column is the target itself.
        Assert.True((columns[3] - columns[4]).abs().max().item<float>() < 0.05);
        var grayAb = CieLab.RgbToLab(Rgb.Denormalize(columns[1])).narrow(1, 1, 2);
        Assert.True(grayAb.abs().max().item<float>() < 0.05);
    }

    [Theory]
    [InlineData("temperature", "0")]
    [InlineData("clusters", "1")]
    [InlineData("embedding_dim", "0")]
    [InlineData("pointer_stages", "0")]
    [InlineData("k_means_images", "0")]
    [InlineData("later_frames", "0")]
    [InlineData("max_shift", "-1")]
    [InlineData("max_zoom", "1")]
    [InlineData("crop_scale", "0")]
    public void InvalidOptions_AreRefusedWithTheFieldsName(string field, string value)
    {
        var options = OptionBinder.Bind(new VideoColorizationOptions(), new Dictionary<string, string> { [field] = value }, "video-colorization");
        var e = Assert.Throws<ArgumentException>(() => new VideoColorization(new TinyEncoder(channels: 1), 8, Rgb, options));
        Assert.Contains($"video-colorization.{field}", e.Message);
    }

    [Fact]
    public void MorePointerStagesThanTheResNetHas_AreRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => new VideoColorization(SmallResNet(), 16, Rgb, new VideoColorizationOptions { PointerStages = 5 }));
        Assert.Contains("pointer_stages", e.Message);
    }

    [Fact]
    public void TokenEncoders_AreRefusedWithAMessageNamingTheFeatureMap()
    {
        using var vit = EncoderRegistry.Create("vit-tiny/p2/d1", new EncoderOptions(1, 8, 16));
        var e = Assert.Throws<ArgumentException>(() => new VideoColorization(vit, 8, Rgb, new VideoColorizationOptions()));
        Assert.Contains("feature map", e.Message);
    }
}
