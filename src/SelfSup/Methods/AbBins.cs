using SelfSup.Augment;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>
/// The quantised ab plane of Zhang et al. 2016 ("Colorful Image Colorization" §2.1): a grid of step
/// <see cref="GridSize"/> over a, b ∈ [−<see cref="Range"/>, <see cref="Range"/>], keeping the cells that some sRGB
/// colour falls in. The in-gamut set is computed from the sRGB gamut (every colour of a 65-level-per-channel RGB cube
/// converted to Lab and rounded to its nearest grid point), not from training images: with step 10 it keeps 261 bins,
/// where the paper keeps 313 from its own gamut computation. A colour maps to its nearest grid point, and a grid point
/// outside the kept set to the nearest kept bin.
/// </summary>
public sealed class AbBins
{
    /// <summary>Levels per channel of the RGB cube whose colours define the in-gamut bins.</summary>
    const int GamutLevels = 65;

    readonly long[] lookup;

    /// <param name="gridSize">Step of the grid in ab units (paper: 10).</param>
    /// <param name="range">Half-width of the grid in ab units; sRGB colours reach |a|, |b| ≤ 108 (paper's grid: ±110).</param>
    public AbBins(double gridSize = 10, double range = 110)
    {
        if (!(gridSize > 0 && double.IsFinite(gridSize))) throw new ArgumentException($"ab grid_size: expected a positive step, got {gridSize}");
        if (!(range >= gridSize)) throw new ArgumentException($"ab range: expected at least one grid step ({gridSize}), got {range}");
        GridSize = gridSize;
        Range = range;
        Side = 2 * (int)Math.Floor(range / gridSize) + 1;
        var hit = GamutCells();
        var kept = Enumerable.Range(0, Side * Side).Where(c => hit[c]).ToArray();
        Centers = kept.Select(CellCenter).ToArray();
        lookup = Enumerable.Range(0, Side * Side).Select(c => (long)Nearest(CellCenter(c))).ToArray();
    }

    /// <summary>Step of the grid in ab units.</summary>
    public double GridSize { get; }

    /// <summary>Half-width of the grid in ab units.</summary>
    public double Range { get; }

    /// <summary>Grid points per axis.</summary>
    public int Side { get; }

    /// <summary>Number of in-gamut bins Q.</summary>
    public int Count => Centers.Length;

    /// <summary>The (a, b) centre of each in-gamut bin, in bin order (a-major).</summary>
    public (double A, double B)[] Centers { get; }

    /// <summary>The bin centres as a tensor [Q, 2] on <paramref name="device"/>.</summary>
    public Tensor CenterTensor(Device device) =>
        tensor(Centers.SelectMany(c => new[] { (float)c.A, (float)c.B }).ToArray(), device: device).view(Count, 2);

    /// <summary>The bin index [B, H, W] (int64) of each pixel of an ab batch [B, 2, H, W].</summary>
    public Tensor Quantise(Tensor ab)
    {
        if (ab.dim() != 4 || ab.shape[1] != 2)
            throw new ArgumentException($"ab quantisation needs [B, 2, H, W], found [{string.Join(", ", ab.shape)}]");
        using var scope = NewDisposeScope();
        var half = (Side - 1) / 2;
        var cell = ab.div(GridSize).round_().add_(half).clamp_(0, Side - 1).to(ScalarType.Int64); // [B, 2, H, W]
        var flat = cell.select(1, 0) * Side + cell.select(1, 1);                                  // [B, H, W]
        var table = tensor(lookup, device: ab.device);
        return table.index([flat]).MoveToOuterDisposeScope();
    }

    (double A, double B) CellCenter(int cell)
    {
        var half = (Side - 1) / 2;
        return ((cell / Side - half) * GridSize, (cell % Side - half) * GridSize);
    }

    int Nearest((double A, double B) point)
    {
        var best = 0;
        var bestDistance = double.PositiveInfinity;
        for (var i = 0; i < Centers.Length; i++)
        {
            var d = Math.Pow(Centers[i].A - point.A, 2) + Math.Pow(Centers[i].B - point.B, 2);
            if (d < bestDistance) (best, bestDistance) = (i, d);
        }
        return best;
    }

    /// <summary>Which grid cells some colour of the sRGB cube rounds to.</summary>
    bool[] GamutCells()
    {
        using var scope = NewDisposeScope();
        var levels = linspace(0, 1, GamutLevels);
        var grid = meshgrid([levels, levels, levels], indexing: "ij");
        var rgb = stack(grid.Select(g => g.flatten()).ToArray()).view(1, 3, 1, -1); // [1, 3, 1, 65³]
        var ab = CieLab.RgbToLab(rgb).narrow(1, 1, 2);
        var half = (Side - 1) / 2;
        var cell = ab.div(GridSize).round_().add_(half).clamp_(0, Side - 1).to(ScalarType.Int64);
        var flat = (cell.select(1, 0) * Side + cell.select(1, 1)).flatten();
        var counts = bincount(flat, minlength: Side * Side).data<long>().ToArray();
        return counts.Select(c => c > 0).ToArray();
    }
}
