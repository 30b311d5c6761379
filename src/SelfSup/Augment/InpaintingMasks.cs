using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Augment;

/// <summary>The shape of the region a context encoder must fill in (Pathak et al. 2016, §3.3).</summary>
public enum InpaintingMaskKind
{
    /// <summary>One centred square (the paper's central region: the middle 64 × 64 of 128 × 128 images).</summary>
    Center,
    /// <summary>Rectangles of random size and aspect at random places (the paper's random blocks), on a coarse grid.</summary>
    RandomBlocks,
    /// <summary>
    /// Arbitrary smooth shapes (the paper's random regions, which it cuts from PASCAL VOC segmentation masks; here the
    /// highest values of a coarse random field upsampled bilinearly, so no segmentation dataset is needed).
    /// </summary>
    RandomRegion,
}

/// <summary>Pixel masks of the regions a context encoder inpaints: float32 [B, 1, S, S], 1 = hidden.</summary>
public static class InpaintingMasks
{
    /// <summary>Cells per side of the grid random blocks are drawn on.</summary>
    public const int BlockGrid = 8;

    /// <summary>Cells per side of the random field random regions are cut from.</summary>
    public const int RegionGrid = 4;

    /// <summary>
    /// <paramref name="batch"/> masks of side <paramref name="size"/> hiding about <paramref name="ratio"/> of each
    /// image: the centred square of side round(S·√ratio) (S/2 for the default ratio 1/4); random blocks covering at
    /// most that share of a <see cref="BlockGrid"/>² grid (<see cref="Masking.BlockWise"/>, BEiT's rectangles), each
    /// cell then stretched to pixels; or random regions of exactly round(ratio·S²) pixels. Random draws come from
    /// <paramref name="generator"/> (null: the global one).
    /// </summary>
    public static Tensor Draw(InpaintingMaskKind kind, long batch, int size, double ratio, Generator? generator, Device device)
    {
        if (!(ratio > 0 && ratio < 1)) throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "inpainting mask ratio must be in (0, 1)");
        if (batch < 1 || size < 2) throw new ArgumentException($"inpainting masks: batch must be ≥ 1 and size ≥ 2, got {batch} and {size}");
        using var scope = NewDisposeScope();
        var mask = kind switch
        {
            InpaintingMaskKind.Center => Center(batch, size, ratio),
            InpaintingMaskKind.RandomBlocks => Blocks(batch, size, ratio, generator),
            InpaintingMaskKind.RandomRegion => Region(batch, size, ratio, generator),
            _ => throw new ArgumentException($"unknown inpainting mask {kind}"),
        };
        return mask.to(device).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The visible pixels within <paramref name="width"/> pixels (Chebyshev distance) of a hidden one: the band around
    /// each hole whose reconstruction the paper weights 10× (its overlapPred), [B, 1, S, S], 1 in the band.
    /// </summary>
    public static Tensor Band(Tensor mask, int width)
    {
        if (width < 0) throw new ArgumentException($"inpainting overlap band width must be ≥ 0, got {width}");
        if (width == 0) return zeros_like(mask);
        using var grown = nn.functional.max_pool2d(mask, 2 * width + 1, stride: 1, padding: width); // [B, 1, S, S]
        return grown - mask;
    }

    static Tensor Center(long batch, int size, double ratio)
    {
        var side = Math.Clamp((int)Math.Round(size * Math.Sqrt(ratio)), 1, size - 1);
        var start = (size - side) / 2;
        var mask = zeros(batch, 1, size, size);
        mask.narrow(2, start, side).narrow(3, start, side).fill_(1);
        return mask;
    }

    static Tensor Blocks(long batch, int size, double ratio, Generator? generator)
    {
        var grid = Math.Min(BlockGrid, size);
        var cells = Masking.BlockWise(batch, grid, grid, ratio, generator, CPU, minBlock: 2); // [B, G·G]
        using var coarse = cells.view(batch, 1, grid, grid);
        return nn.functional.interpolate(coarse, [size, size], mode: InterpolationMode.Nearest);
    }

    static Tensor Region(long batch, int size, double ratio, Generator? generator)
    {
        using var field = rand(batch, 1, RegionGrid, RegionGrid, generator: generator);       // [B, 1, 4, 4]
        using var smooth = nn.functional.interpolate(field, [size, size], mode: InterpolationMode.Bilinear, align_corners: false);
        var hidden = Math.Clamp((long)Math.Round(ratio * size * size), 1, (long)size * size - 1);
        using var flat = smooth.view(batch, -1);                                               // [B, S·S]
        var (_, top) = flat.topk((int)hidden, dim: 1);                                         // [B, hidden]
        using var one = ones(top.shape);
        var mask = zeros(batch, (long)size * size).scatter_(1, top, one);
        return mask.view(batch, 1, size, size);
    }
}
