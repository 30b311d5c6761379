using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Augment;

/// <summary>
/// How the camera of a synthetic clip moves over its still image (<see cref="SyntheticClips"/>).
/// </summary>
/// <param name="LaterFrames">Frames after the reference frame (≥ 1); a clip has 1 + this many frames.</param>
/// <param name="MaxShift">Largest camera speed in image pixels per frame; each clip's speed is uniform in [0, this], its direction uniform.</param>
/// <param name="MaxZoom">Largest relative change of the crop's side per frame; each clip's rate is uniform in [−this, this] (0.1: ±10 % per frame).</param>
/// <param name="CropScale">Side of a clip's largest crop as a fraction of the image's shorter side, in (0, 1].</param>
public sealed record ClipMotion(int LaterFrames = 2, double MaxShift = 3, double MaxZoom = 0.1, double CropScale = 0.7)
{
    /// <summary>Throws with the field's name (under <paramref name="owner"/>) when a value is out of range.</summary>
    public void Validate(string owner)
    {
        if (LaterFrames < 1) throw new ArgumentException($"{owner}.later_frames: expected ≥ 1, got {LaterFrames}");
        if (!(MaxShift >= 0 && double.IsFinite(MaxShift))) throw new ArgumentException($"{owner}.max_shift: expected a finite value ≥ 0 (pixels per frame), got {MaxShift}");
        if (!(MaxZoom >= 0 && MaxZoom < 1)) throw new ArgumentException($"{owner}.max_zoom: expected a value in [0, 1), got {MaxZoom}");
        if (!(CropScale > 0 && CropScale <= 1)) throw new ArgumentException($"{owner}.crop_scale: expected a value in (0, 1], got {CropScale}");
    }
}

/// <summary>
/// The square crops of a batch of clips, in image pixels: centres [B, T, 2] as (x, y) from the top-left corner and
/// sides [B, T], frame 0 the reference. Float32 on the CPU.
/// </summary>
public sealed record ClipPath(Tensor Centers, Tensor Sides) : IDisposable
{
    /// <summary>Frames per clip.</summary>
    public long Frames => Sides.shape[1];

    public void Dispose()
    {
        Centers.Dispose();
        Sides.Dispose();
    }
}

/// <summary>
/// Short clips made from still images by a moving camera, standing in for video where none is at hand: each image gives
/// a clip of 1 + <see cref="ClipMotion.LaterFrames"/> square crops that slide at a constant velocity (random direction
/// and speed per clip) and zoom at a constant rate (random per clip), every crop resampled bilinearly to
/// <see cref="FrameSize"/>² by one <c>affine_grid</c> + <c>grid_sample</c> call per frame (align_corners false, so a
/// crop on whole pixels of the frame's size is copied exactly). Every crop of a clip lies inside its image: the largest
/// crop has side <see cref="ClipMotion.CropScale"/> × the shorter image side, the speed is capped so the whole path fits
/// beside it, and the first centre is drawn uniformly among the positions that keep every crop inside.
/// </summary>
public sealed class SyntheticClips
{
    /// <param name="frameSize">Side of every frame in pixels.</param>
    /// <param name="motion">The camera motion.</param>
    public SyntheticClips(int frameSize, ClipMotion motion)
    {
        ArgumentNullException.ThrowIfNull(motion);
        if (frameSize < 1) throw new ArgumentException($"synthetic clips: frame size must be ≥ 1, got {frameSize}");
        motion.Validate("clip motion");
        FrameSize = frameSize;
        Motion = motion;
    }

    public int FrameSize { get; }

    public ClipMotion Motion { get; }

    /// <summary>The frames of clips of <paramref name="x"/> [B, C, H, W] (float), camera paths drawn from <paramref name="generator"/>: 1 + later frames, each [B, C, S, S].</summary>
    public Tensor[] Apply(Tensor x, Generator generator)
    {
        BatchRandom.CheckBatch(x, nameof(SyntheticClips));
        using var path = SamplePaths(x.shape[0], x.shape[2], x.shape[3], generator);
        return Render(x, path);
    }

    /// <summary>Draws <paramref name="n"/> camera paths over <paramref name="height"/>×<paramref name="width"/> images.</summary>
    public ClipPath SamplePaths(long n, long height, long width, Generator generator)
    {
        using var scope = NewDisposeScope();
        var later = Motion.LaterFrames;
        var t = arange(later + 1, ScalarType.Float64).unsqueeze(0);                     // [1, T]
        var angle = rand(n, ScalarType.Float64, generator: generator).mul_(2 * Math.PI);  // [n]
        var speed = rand(n, ScalarType.Float64, generator: generator).mul_(Motion.MaxShift);
        var zoom = rand(n, ScalarType.Float64, generator: generator).mul_(2 * Motion.MaxZoom).sub_(Motion.MaxZoom);
        var u = rand(n, 2, ScalarType.Float64, generator: generator);                    // [n, 2]

        var largest = Motion.CropScale * Math.Min(height, width);
        var growth = zoom.unsqueeze(1).add(1).pow(t);                                       // [n, T]: (1 + z)^t
        var sides = growth.div(growth.amax([1], keepdim: true)).mul_(largest);               // [n, T], the largest = `largest`
        // The path of n·T steps must fit beside the largest crop on both axes.
        speed = speed.clamp_max((Math.Min(height, width) - largest) / later);
        var velocity = stack([speed * angle.cos(), speed * angle.sin()], 1);               // [n, 2] (x, y)
        var travel = velocity.unsqueeze(1) * t.unsqueeze(2);                               // [n, T, 2]
        var extent = tensor(new double[] { width, height }).view(1, 1, 2);
        var half = sides.unsqueeze(2) / 2;                                                  // [n, T, 1]
        // First centre c: half_t ≤ c + travel_t ≤ extent − half_t for every frame t.
        var low = (half - travel).amax([1]);                                                  // [n, 2]
        var high = (extent - half - travel).amin([1]);
        var start = low + u * (high - low).clamp_min_(0);                                  // [n, 2]
        var centers = start.unsqueeze(1) + travel;                                         // [n, T, 2]
        return new ClipPath(
            centers.to(ScalarType.Float32).MoveToOuterDisposeScope(),
            sides.to(ScalarType.Float32).MoveToOuterDisposeScope());
    }

    /// <summary>The crops of <paramref name="path"/> from <paramref name="x"/> [B, C, H, W], each resized to [B, C, S, S].</summary>
    public Tensor[] Render(Tensor x, ClipPath path)
    {
        BatchRandom.CheckBatch(x, nameof(SyntheticClips));
        ArgumentNullException.ThrowIfNull(path);
        var (b, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
        if (path.Sides.shape[0] != b)
            throw new ArgumentException($"synthetic clips: {path.Sides.shape[0]} paths for a batch of {b} images");
        var frames = new Tensor[path.Frames];
        for (var f = 0; f < frames.Length; f++)
        {
            using var scope = NewDisposeScope();
            var side = path.Sides.select(1, f);                                             // [B]
            var center = path.Centers.select(1, f);                                         // [B, 2]
            var zero = zeros_like(side);
            // Output coordinates in [−1, 1] → the crop in the input's normalised coordinates.
            var row0 = stack([side / w, zero, center.select(1, 0) * 2 / w - 1], 1);         // [B, 3]
            var row1 = stack([zero, side / h, center.select(1, 1) * 2 / h - 1], 1);
            var theta = stack([row0, row1], 1).to(x.dtype).to(x.device);                   // [B, 2, 3]
            var grid = nn.functional.affine_grid(theta, [b, c, FrameSize, FrameSize], align_corners: false); // [B, S, S, 2]
            frames[f] = nn.functional.grid_sample(x, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Border, align_corners: false)
                .MoveToOuterDisposeScope();                                                 // [B, C, S, S]
        }
        return frames;
    }
}
