using SelfSup.Encoders;
using SelfSup.Interop;
using static TorchSharp.torch;

namespace SelfSup.Tests.Interop;

public class ReferenceNamesTests
{
    public ReferenceNamesTests() => TorchRuntime.Initialize();

    [Fact]
    public void ResNet18_ExportsTorchvisionsKeysWithoutTheClassifier()
    {
        using var model = ResNet.ResNet18(new ResNetOptions(Width: 4));
        using var scope = NewDisposeScope();
        var keys = TorchvisionNames.Instance.ToReference(model.state_dict()).Keys.ToHashSet();
        // torchvision's resnet18 state dict has 122 keys: stem 1 + 5, eight blocks of 12, three downsamples of 6, fc 2.
        Assert.Equal(122 - 2, keys.Count);
        foreach (var key in new[] { "conv1.weight", "bn1.num_batches_tracked", "layer1.0.conv1.weight", "layer2.0.downsample.0.weight", "layer4.0.downsample.1.running_var", "layer4.1.bn2.bias" })
            Assert.Contains(key, keys);
        Assert.True(TorchvisionNames.Instance.IsClassifier("fc.weight"));
        Assert.False(TorchvisionNames.Instance.IsClassifier("layer1.0.bn1.weight"));
    }

    [Fact]
    public void BatchNormCounters_ExportAsInt64_AsTorchvisionStoresThem()
    {
        using var model = ResNet.ResNet18(new ResNetOptions(Width: 4));
        using var scope = NewDisposeScope();
        var reference = TorchvisionNames.Instance.ToReference(model.state_dict());
        Assert.Equal(ScalarType.Int64, reference["layer3.1.bn1.num_batches_tracked"].dtype);
        Assert.Empty(reference["layer3.1.bn1.num_batches_tracked"].shape);
    }

    [Fact]
    public void Vit_ExportsTimmsKeys_WithTheClassTokensPositionRowPrepended()
    {
        using var vit = new Vit(new VitOptions(InChannels: 3, ImageSize: 16, PatchSize: 4, Dim: 32, Depth: 2, Heads: 2));
        using var scope = NewDisposeScope();
        var reference = TimmNames.Instance.ToReference(vit.state_dict());
        foreach (var key in new[] { "patch_embed.proj.weight", "patch_embed.proj.bias", "cls_token", "pos_embed", "blocks.1.norm1.weight", "blocks.0.attn.qkv.weight", "blocks.0.attn.proj.bias", "blocks.1.norm2.bias", "blocks.0.mlp.fc1.weight", "blocks.1.mlp.fc2.bias", "norm.weight", "norm.bias" })
            Assert.Contains(key, reference.Keys);
        Assert.DoesNotContain("patch_embed.weight", reference.Keys);
        Assert.DoesNotContain("pos_embed_fixed", reference.Keys);
        var positions = reference["pos_embed"];
        Assert.Equal(new long[] { 1, 1 + 16, 32 }, positions.shape); // a 4×4 grid of patches, plus the CLS row
        Assert.Equal(0f, positions[0, 0].abs().max().item<float>());
        Assert.True(TimmNames.Instance.IsClassifier("head.weight"));
    }

    [Fact]
    public void TimmsClassPosition_IsFoldedIntoTheClassToken_OnImport()
    {
        using var vit = new Vit(new VitOptions(InChannels: 3, ImageSize: 8, PatchSize: 4, Dim: 8, Depth: 1, Heads: 2, Positions: VitPositions.Learned));
        using var scope = NewDisposeScope();
        var reference = TimmNames.Instance.ToReference(vit.state_dict()).ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        reference["cls_token"] = full(1, 1, 8, 0.5f);
        reference["pos_embed"] = arange(1 * 5 * 8, dtype: float32).reshape(1, 5, 8); // row 0 is 0…7, rows 1–4 the patches
        var own = TimmNames.Instance.ToOwn(reference, vit.state_dict());
        // cls_token + pos_embed[:, 0] = 0.5 + (0, 1, …, 7); the patches keep rows 1–4 = 8 … 39.
        Assert.Equal(new[] { 0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f, 6.5f, 7.5f }, own["cls_token"].data<float>().ToArray());
        Assert.Equal(new long[] { 1, 4, 8 }, own["pos_embed"].shape);
        Assert.Equal(8f, own["pos_embed"][0, 0, 0].item<float>());
        Assert.Equal(39f, own["pos_embed"][0, 3, 7].item<float>());
    }

    [Fact]
    public void OtherEncoders_HaveNoReferenceLayout()
    {
        using var mlp = EncoderRegistry.Create("mlp", new EncoderOptions(1, 8, 0, null));
        var e = Assert.Throws<ArgumentException>(() => ReferenceNames.For(mlp));
        Assert.Contains("torchvision", e.Message);
    }
}
