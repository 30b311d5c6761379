using SelfSup.Encoders;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Encoders;

public class VitTests
{
    public VitTests() => TorchRuntime.Initialize();

    static Vit Small(VitPositions positions = VitPositions.SinCos, VitPool pool = VitPool.Cls, int depth = 2)
    {
        manual_seed(0);
        return new Vit(new VitOptions(InChannels: 3, ImageSize: 16, PatchSize: 4, Dim: 32, Depth: depth, Heads: 2, Positions: positions, Pool: pool));
    }

    [Fact]
    public void VitTiny_At32Pixels_Gives64PatchTokensPlusCls()
    {
        using var vit = EncoderRegistry.Create("vit-tiny/d1", new EncoderOptions(InChannels: 3, ImageSize: 32));
        using var x = randn(2, 3, 32, 32);
        using var tokens = vit.ForwardFeatures(x);
        Assert.Equal(new long[] { 2, 65, 192 }, tokens.shape);
        using var z = vit.call(x);
        Assert.Equal(new long[] { 2, 192 }, z.shape);
        Assert.Equal(192, vit.EmbeddingDim);
    }

    [Theory]
    [InlineData("vit-tiny", 32, 0, 4, 192, 12, 3)]
    [InlineData("vit-small", 96, 0, 16, 384, 12, 6)]
    [InlineData("vit-base", 224, 0, 16, 768, 12, 12)]
    [InlineData("vit-tiny/2", 28, 0, 2, 192, 12, 3)]
    [InlineData("vit-tiny/p7/d4", 28, 128, 7, 128, 4, 2)]
    [InlineData("VIT-Small/d6/h4", 32, 0, 4, 384, 6, 4)]
    public void RegistryNames_ResolvePatchWidthDepthAndHeads(string name, int imageSize, int width, int patch, int dim, int depth, int heads)
    {
        var slash = name.IndexOf('/');
        var baseName = (slash > 0 ? name[..slash] : name).ToLowerInvariant();
        var o = VitNames.Resolve(baseName, slash > 0 ? name[(slash + 1)..] : null, new EncoderOptions(3, imageSize, width));
        Assert.Equal((patch, dim, depth, heads), (o.PatchSize, o.Dim, o.Depth, o.Heads));
        Assert.True(EncoderRegistry.IsKnown(name));
    }

    [Fact]
    public void BadOverride_IsAnErrorNamingIt()
    {
        var e = Assert.Throws<ArgumentException>(() => EncoderRegistry.Create("vit-tiny/x3", new EncoderOptions(3, 32)));
        Assert.Contains("x3", e.Message);
        Assert.False(EncoderRegistry.IsKnown("resnet18/2"));
    }

    [Fact]
    public void VisiblePath_WithEveryTokenInOrder_EqualsTheFullForward()
    {
        using var vit = Small();
        vit.eval();
        using var x = randn(3, 3, 16, 16);
        using var keep = arange(16, dtype: ScalarType.Int64).unsqueeze(0).expand(3, -1);
        using var full = vit.ForwardFeatures(x);
        using var visible = vit.ForwardVisible(x, keep);
        TensorAssert.Close(full, visible, 1e-5, "visible path with all tokens");
    }

    [Fact]
    public void VisiblePath_ReturnsClsPlusTheKeptTokens()
    {
        using var vit = Small();
        using var x = randn(2, 3, 16, 16);
        using var keep = tensor(new long[] { 3, 0, 9, 15, 1, 2 }).view(2, 3);
        using var visible = vit.ForwardVisible(x, keep);
        Assert.Equal(new long[] { 2, 4, 32 }, visible.shape);
    }

    [Fact]
    public void OtherResolutions_InterpolateThePositionGrid()
    {
        using var vit = Small(VitPositions.Learned);
        using var same = vit.Positions(4, 4);
        Assert.Equal(new long[] { 1, 16, 32 }, same.shape);
        using var larger = vit.Positions(6, 5);
        Assert.Equal(new long[] { 1, 30, 32 }, larger.shape);
        using var x = randn(2, 3, 24, 20);
        using var tokens = vit.ForwardFeatures(x);
        Assert.Equal(new long[] { 2, 31, 32 }, tokens.shape);
    }

    [Fact]
    public void FixedPositions_AreABufferNotAParameter_LearnedOnesAreTrained()
    {
        using var fixedVit = Small(VitPositions.SinCos);
        Assert.DoesNotContain(fixedVit.named_parameters(), p => p.name.Contains("pos_embed"));
        Assert.Contains(fixedVit.named_buffers(), b => b.name == "pos_embed_fixed");
        using var learned = Small(VitPositions.Learned);
        Assert.Contains(learned.named_parameters(), p => p.name == "pos_embed");
    }

    [Fact]
    public void MeanPool_AveragesPatchTokens_ClsPoolTakesTheFirst()
    {
        using var cls = Small(pool: VitPool.Cls);
        using var mean = Small(pool: VitPool.Mean);
        using var tokens = arange(2 * 3 * 32, dtype: ScalarType.Float32).view(2, 3, 32);
        using var a = cls.Pool(tokens);
        using var b = mean.Pool(tokens);
        TensorAssert.Identical(tokens.select(1, 0), a, "cls pool");
        TensorAssert.Close(tokens.narrow(1, 1, 2).mean([1]), b, 1e-6, "mean pool");
    }

    [Fact]
    public void AttentionMaps_AreRowStochastic_PerHead()
    {
        using var vit = Small();
        using var x = randn(2, 3, 16, 16);
        using var maps = vit.AttentionMaps(x);
        Assert.Equal(new long[] { 2, 2, 17, 17 }, maps.shape);
        using var sums = maps.sum(-1);
        TensorAssert.Close(ones_like(sums), sums, 1e-5, "attention rows");
    }

    [Fact]
    public void AttentionMaps_DependOnTheImage()
    {
        using var vit = Small(depth: 1);
        vit.eval();
        using var x = randn(2, 3, 16, 16);
        using var maps = vit.AttentionMaps(x);                 // [B, H, N, N]
        Assert.True(maps.min().item<float>() >= 0);
        using var diffPerSample = (maps[0] - maps[1]).abs().sum();
        Assert.True(diffPerSample.item<float>() > 0, "different images must give different attention");
    }

    [Fact]
    public void Init_UsesSmallLinearWeights_AndXavierPatchEmbedding()
    {
        using var vit = Small();
        var p = vit.named_parameters().ToDictionary(kv => kv.name, kv => kv.parameter);
        var qkv = p["blocks.0.attn.qkv.weight"];
        Assert.InRange(qkv.std().item<float>(), 0.015f, 0.02f); // truncated at ±2σ → std ≈ 0.88 · 0.02
        Assert.True(qkv.abs().max().item<float>() <= 0.04f + 1e-6);
        var bound = Math.Sqrt(6.0 / (3 * 4 * 4 + 32));
        Assert.True(p["patch_embed.weight"].abs().max().item<float>() <= bound + 1e-6);
        Assert.Equal(0f, p["blocks.0.attn.qkv.bias"].abs().sum().item<float>());
    }

    [Fact]
    public void ImageNotDivisibleByThePatch_IsAnError()
    {
        using var vit = Small();
        using var x = randn(1, 3, 18, 16);
        var e = Assert.Throws<ArgumentException>(() => vit.ForwardFeatures(x));
        Assert.Contains("patch size 4", e.Message);
    }
}
