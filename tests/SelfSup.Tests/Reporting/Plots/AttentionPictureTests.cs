using SelfSup.Encoders;
using SelfSup.Reporting.Plots;
using SelfSup.Tests.Data;
using SelfSup.Tests.Runs;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;
using CliApp = SelfSup.Cli.Cli;

namespace SelfSup.Tests.Reporting.Plots;

public class AttentionPictureTests
{
    [Fact]
    public void ClsAttention_IsTheClsRowOfTheLastBlock_OverThePatchGrid()
    {
        manual_seed(0);
        using var vit = new Vit(new VitOptions(InChannels: 1, ImageSize: 16, PatchSize: 4, Dim: 16, Depth: 2, Heads: 2));
        vit.eval();
        using var x = randn(3, 1, 16, 16, generator: new Generator(1));
        using var maps = AttentionPicture.ClsAttention(vit, x);
        Assert.Equal(new long[] { 3, 2, 4, 4 }, maps.shape);
        using var full = vit.AttentionMaps(x);                              // [3, 2, 17, 17]
        using var expected = full.select(2, 0).narrow(2, 1, 16).reshape(3, 2, 4, 4);
        Assert.True(maps.allclose(expected, rtol: 0, atol: 0));
        // The patches share what the CLS token does not keep for itself.
        using var patchShare = maps.sum([2, 3]);
        using var clsSelf = full.select(2, 0).select(2, 0);
        Assert.True((patchShare + clsSelf).allclose(ones(3, 2), rtol: 0, atol: 1e-5));
        // The ViT's own output is unchanged by drawing its attention.
        using var before = vit.forward(x);
        using var again = AttentionPicture.ClsAttention(vit, x);
        using var after = vit.forward(x);
        Assert.True(before.allclose(after, rtol: 0, atol: 0));
    }

    [Fact]
    public void Save_DrawsOneRowPerImage_TheImageThenEachHead_WithTheHottestPatchYellow()
    {
        using var dir = new TempDir();
        var path = dir.File("attention.png");
        using var images = full(new long[] { 2, 3, 8, 8 }, 128, ScalarType.Byte);
        using var attention = zeros(2, 3, 2, 2);
        attention[0, 1, 1, 0] = tensor(1f);                                 // image 0, head 1: bottom-left patch
        AttentionPicture.Save(path, images, attention, cell: 20);
        using var png = Png.Read(path);
        Assert.Equal(4 + 4 * 24, png.Width);                                 // image + 3 heads
        Assert.Equal(4 + 2 * 24, png.Height);
        var hot = png.GetPixel(4 + 2 * 24 + 5, 4 + 15);                      // head 1's cell, bottom-left quarter
        var cold = png.GetPixel(4 + 2 * 24 + 15, 4 + 5);                     // its top-right quarter
        Assert.Equal(AttentionPicture.Colour(1), hot);
        Assert.Equal(AttentionPicture.Colour(0), cold);
        Assert.Equal(new SKColor(128, 128, 128), png.GetPixel(4 + 10, 4 + 10)); // the image itself
    }

    [Fact]
    public void Command_DrawsAViTCheckpoint_AndRefusesAConvNet()
    {
        using var dir = new TempDir();
        var data = TinyRun.IdxWithoutTestSplit(dir.File("data"));
        var run = dir.File("run");
        Assert.Equal(0, CliApp.Run(["pretrain", "--method", "dino", "--data", data, "--encoder", "vit-tiny/p4/d1/h2", "--width", "16", "--epochs", "1",
            "--batch-size", "8", "--max-steps", "1", "--set", "out_dim=32", "--set", "head_hidden_dim=16", "--set", "bottleneck_dim=8", "--out", run]));
        var pictures = dir.File("pictures");
        Assert.Equal(0, CliApp.Run(["attention", "--checkpoint", run, "--out", pictures, "--count", "3", "--cell", "16"]));
        using var png = Png.Read(Path.Combine(pictures, AttentionPicture.FileName));
        Assert.Equal(4 + 3 * 20, png.Width);                                 // image + 2 heads
        Assert.Equal(4 + 3 * 20, png.Height);                                // 3 test images
        using var twin = Png.Read(Path.Combine(pictures, AttentionPicture.RandomInitFileName));
        Assert.Equal(png.Width, twin.Width);
        using var focus = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(pictures, AttentionPicture.FocusFileName)));
        foreach (var side in new[] { "encoder", "random_init" })
        {
            var entropy = focus.RootElement.GetProperty(side).GetProperty("normalised_entropy").GetDouble();
            Assert.InRange(entropy, 0.5, 1.0); // 16 patches, one step of training: still near uniform, never above it
            Assert.Equal(0.25, focus.RootElement.GetProperty(side).GetProperty("central_area").GetDouble());
        }

        var convnet = TinyRun.Pretrain(data, dir.File("convnet"));
        Assert.Equal(1, CliApp.Run(["attention", "--checkpoint", convnet, "--out", pictures]));
    }

    [Fact]
    public void Focus_OfUniformMaps_IsOneAndTheAreaShare_AndOfACentralPeak_IsZeroAndOne()
    {
        using var uniform = ones(2, 3, 4, 4);
        var u = AttentionFocus.Of(uniform);
        Assert.Equal(1.0, u.NormalisedEntropy, 6);
        Assert.Equal(0.25, u.CentralMass, 6);
        Assert.Equal(0.25, u.CentralArea, 6);

        using var peak = zeros(1, 1, 4, 4);
        peak[0, 0, 1, 2] = tensor(1f);                                    // inside the central 2 × 2
        var p = AttentionFocus.Of(peak);
        Assert.Equal(0.0, p.NormalisedEntropy, 6);
        Assert.Equal(1.0, p.CentralMass, 6);

        using var half = zeros(1, 1, 4, 4);
        half[0, 0, 0, 0] = tensor(1f);                                    // a corner and the centre, equal weight
        half[0, 0, 2, 2] = tensor(1f);
        var hv = AttentionFocus.Of(half);
        Assert.Equal(Math.Log(2) / Math.Log(16), hv.NormalisedEntropy, 4);  // = 0.25
        Assert.Equal(0.5, hv.CentralMass, 6);
    }
}
