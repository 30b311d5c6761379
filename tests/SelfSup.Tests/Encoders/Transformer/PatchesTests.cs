using SelfSup.Encoders.Transformer;
using SelfSup.Tests.Encoders;
using static TorchSharp.torch;

namespace SelfSup.Tests.Encoders.Transformer;

public class PatchesTests
{
    [Fact]
    public void Patchify_ThenUnpatchify_IsTheIdentity()
    {
        using var x = randn(2, 3, 8, 12);
        using var p = Patches.Patchify(x, 4);
        Assert.Equal(new long[] { 2, 6, 48 }, p.shape);
        using var back = Patches.Unpatchify(p, 4, 3, 2, 3);
        TensorAssert.Identical(x, back, "round trip");
    }

    [Fact]
    public void Patchify_OrdersTokensRowMajor_AndValuesChannelFastest()
    {
        // 1×2×4×4 image, patch 2: token 1 is the top-right patch; its first values are (c0, c1) of pixel (0, 2).
        using var x = arange(32, dtype: ScalarType.Float32).view(1, 2, 4, 4);
        using var p = Patches.Patchify(x, 2);
        var t1 = p[0, 1].data<float>().ToArray();
        Assert.Equal([2f, 18f, 3f, 19f, 6f, 22f, 7f, 23f], t1);
    }

    [Fact]
    public void IndivisibleImage_IsAnError() =>
        Assert.Contains("patch size 3", Assert.Throws<ArgumentException>(() => Patches.Patchify(zeros(1, 1, 4, 4), 3)).Message);
}
