using SelfSup.Augment;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Augment;

public class SyntheticClipsTests
{
    [Fact]
    public void ZeroMotion_GivesIdenticalFrames()
    {
        using var scope = NewDisposeScope();
        var clips = new SyntheticClips(16, new ClipMotion(LaterFrames: 3, MaxShift: 0, MaxZoom: 0, CropScale: 0.6));
        var x = rand(4, 3, 20, 24, generator: new Generator(1));
        var frames = clips.Apply(x, new Generator(2));
        Assert.Equal(4, frames.Length);
        Assert.All(frames, f => Assert.Equal(new long[] { 4, 3, 16, 16 }, f.shape));
        foreach (var f in frames[1..]) Assert.Equal(0f, (f - frames[0]).abs().max().item<float>());
    }

    [Fact]
    public void APureShift_MovesTheContentByTheShiftInPixels()
    {
        using var scope = NewDisposeScope();
        // 32-px crops of a 64-px image rendered at 32 px: one image pixel per frame pixel, so a 2-px camera move to the
        // right shows the content 2 px further left, copied exactly (the crops sit on whole pixels).
        var clips = new SyntheticClips(32, new ClipMotion());
        var x = rand(1, 3, 64, 64, generator: new Generator(3));
        using var path = new ClipPath(tensor(new float[] { 30, 31, 32, 31 }).view(1, 2, 2), tensor(new float[] { 32, 32 }).view(1, 2));
        var frames = clips.Render(x, path);
        // Frame 0 is the crop x ∈ [14, 46), y ∈ [15, 47).
        Assert.Equal(0f, (frames[0] - x.narrow(2, 15, 32).narrow(3, 14, 32)).abs().max().item<float>(), 5);
        Assert.Equal(0f, (frames[1].narrow(3, 0, 30) - frames[0].narrow(3, 2, 30)).abs().max().item<float>(), 5);
        Assert.True((frames[1] - frames[0]).abs().max().item<float>() > 0.1);
    }

    [Fact]
    public void SampledPaths_MoveAtAConstantVelocity_NoFasterThanMaxShift_AndZoomAtAConstantRate()
    {
        using var scope = NewDisposeScope();
        var clips = new SyntheticClips(32, new ClipMotion(LaterFrames: 3, MaxShift: 2, MaxZoom: 0.1, CropScale: 0.5));
        using var path = clips.SamplePaths(200, 64, 64, new Generator(4));
        var steps = path.Centers.narrow(1, 1, 3) - path.Centers.narrow(1, 0, 3);        // [n, 3, 2]
        Assert.True((steps - steps.narrow(1, 0, 1)).abs().max().item<float>() < 1e-3);
        var speed = steps.select(1, 0).square().sum(1).sqrt();                            // [n]
        Assert.True(speed.max().item<float>() <= 2 + 1e-4);
        Assert.True(speed.max().item<float>() > 1.5, "speeds should spread up to max_shift");
        var ratio = path.Sides.narrow(1, 1, 3) / path.Sides.narrow(1, 0, 3);             // [n, 3]: 1 + z
        Assert.True((ratio - ratio.narrow(1, 0, 1)).abs().max().item<float>() < 1e-4);
        Assert.InRange(ratio.min().item<float>(), 0.9f - 1e-4f, 1f);
        Assert.InRange(ratio.max().item<float>(), 1f, 1.1f + 1e-4f);
        // The largest crop of each clip has side crop_scale × the image's side.
        Assert.True((path.Sides.amax([1]) - 32).abs().max().item<float>() < 1e-3);
    }

    [Theory]
    [InlineData(32, 48)]
    [InlineData(40, 24)]
    public void Crops_StayInsideTheImage_EvenWhenTheMotionAsksForMore(int height, int width)
    {
        using var scope = NewDisposeScope();
        var clips = new SyntheticClips(16, new ClipMotion(LaterFrames: 4, MaxShift: 100, MaxZoom: 0.5, CropScale: 0.9));
        using var path = clips.SamplePaths(500, height, width, new Generator(5));
        var half = path.Sides.unsqueeze(2) / 2;                                           // [n, T, 1]
        var extent = tensor(new float[] { width, height }).view(1, 1, 2);
        Assert.True((path.Centers - half).min().item<float>() >= -1e-3);
        Assert.True((extent - path.Centers - half).min().item<float>() >= -1e-3);
        // The capped speed still moves the camera.
        Assert.True((path.Centers.select(1, 4) - path.Centers.select(1, 0)).abs().max().item<float>() > 1);
    }

    [Theory]
    [InlineData(0, 3, 0.1, 0.7, "later_frames")]
    [InlineData(2, -1, 0.1, 0.7, "max_shift")]
    [InlineData(2, 3, 1.0, 0.7, "max_zoom")]
    [InlineData(2, 3, 0.1, 1.5, "crop_scale")]
    public void InvalidMotion_IsRefusedWithTheFieldsName(int later, double shift, double zoom, double scale, string field)
    {
        var e = Assert.Throws<ArgumentException>(() => new SyntheticClips(8, new ClipMotion(later, shift, zoom, scale)));
        Assert.Contains(field, e.Message);
    }

    [Fact]
    public void ClipViews_NormaliseEveryFrame_OfAUint8Batch()
    {
        using var scope = NewDisposeScope();
        var stats = new ChannelStats([0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]);
        var views = new ClipViews(new SyntheticClips(8, new ClipMotion(LaterFrames: 2, MaxShift: 0, MaxZoom: 0, CropScale: 1)), stats);
        var images = full(new long[] { 2, 3, 8, 8 }, 255, ScalarType.Byte);
        var frames = views.Apply(images, new Generator(6));
        Assert.Equal(3, frames.Length);
        // White is (1 − 0.5) / 0.25 = 2 after normalising.
        Assert.All(frames, f => Assert.Equal(0f, (f - 2).abs().max().item<float>(), 5));
    }
}
