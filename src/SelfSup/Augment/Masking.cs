using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Augment;

/// <summary>A random per-sample token mask (MAE's random_masking).</summary>
/// <param name="Keep">Indices of the kept (visible) tokens, int64 [B, K], in the order of each sample's noise.</param>
/// <param name="Mask">float32 [B, T], 1 = masked, 0 = visible, in the original token order.</param>
/// <param name="Restore">int64 [B, T], the inverse of each sample's shuffle: gathering [kept; masked] tokens with it restores the original order.</param>
public sealed record TokenMask(Tensor Keep, Tensor Mask, Tensor Restore) : IDisposable
{
    public void Dispose()
    {
        Keep.Dispose();
        Mask.Dispose();
        Restore.Dispose();
    }
}

/// <summary>I-JEPA's context and target masks, bool, 1 = in the block.</summary>
/// <param name="Context">[B, T]: the context block minus every target block.</param>
/// <param name="Targets">[B, M, T]: the M target blocks.</param>
public sealed record MultiBlockMasks(Tensor Context, Tensor Targets) : IDisposable
{
    public void Dispose()
    {
        Context.Dispose();
        Targets.Dispose();
    }
}

/// <summary>
/// Token masks for masked-image modelling, drawn per sample and reproducible from a torch.Generator (null: the
/// global one, which checkpoints save and restore). Tokens are indexed row-major on the patch grid.
/// </summary>
public static class Masking
{
    /// <summary>
    /// MAE's random masking (He et al. 2022): uniform noise per token, argsort, keep the first
    /// K = ⌊T·(1 − ratio)⌋ — every sample masks exactly T − K tokens, each its own random subset.
    /// </summary>
    public static TokenMask Random(long batch, long tokens, double ratio, Generator? generator, Device device)
    {
        if (!(ratio >= 0 && ratio < 1)) throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "Masking.Random: mask ratio must be in [0, 1)");
        if (batch < 1 || tokens < 1) throw new ArgumentException($"Masking.Random: batch and tokens must be ≥ 1, got {batch} and {tokens}");
        using var scope = NewDisposeScope();
        var keepCount = (long)(tokens * (1 - ratio));
        if (keepCount < 1) throw new ArgumentException($"Masking.Random: ratio {ratio} leaves no visible token out of {tokens}");
        var noise = rand(batch, tokens, generator: generator);           // [B, T] on the CPU
        var shuffle = noise.argsort(1);                                  // [B, T]: ascending noise → kept first
        var restore = shuffle.argsort(1);                                // [B, T]: inverse permutation
        var keep = shuffle.narrow(1, 0, keepCount);                      // [B, K]
        var sorted = ones(batch, tokens);
        sorted.narrow(1, 0, keepCount).zero_();                          // [B, T]: 0 for the first K in shuffled order
        var mask = sorted.gather(1, restore);                            // [B, T] in original order
        return new TokenMask(
            keep.to(device).MoveToOuterDisposeScope(),
            mask.to(device).MoveToOuterDisposeScope(),
            restore.to(device).MoveToOuterDisposeScope());
    }

    /// <summary>
    /// BEiT's block-wise masking (Bao et al. 2022): rectangles of at least <paramref name="minBlock"/> tokens with
    /// aspect ratio log-uniform in (0.3, 1/0.3) are added until about <paramref name="ratio"/>·T tokens are masked
    /// (never more). Returns float32 [B, T], 1 = masked.
    /// </summary>
    public static Tensor BlockWise(long batch, int gridH, int gridW, double ratio, Generator? generator, Device device, int minBlock = 4)
    {
        if (!(ratio > 0 && ratio < 1)) throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "Masking.BlockWise: mask ratio must be in (0, 1)");
        CheckGrid(gridH, gridW, "Masking.BlockWise");
        var target = (int)Math.Round(ratio * gridH * gridW);
        var seeds = SampleSeeds(batch, generator);
        var masks = new float[batch * gridH * gridW];
        for (int b = 0; b < batch; b++)
        {
            var rng = new System.Random(seeds[b]);
            var mask = new bool[gridH, gridW];
            var count = 0;
            while (count < target)
            {
                var added = AddBlock(mask, rng, target - count, Math.Min(minBlock, target - count));
                if (added == 0) break;
                count += added;
            }
            Write(mask, masks, b);
        }
        return tensor(masks, [batch, (long)gridH * gridW]).to(device);
    }

    /// <summary>
    /// I-JEPA's multi-block masks (Assran et al. 2023): <paramref name="targets"/> target blocks of scale
    /// <paramref name="targetScale"/> and aspect <paramref name="targetAspect"/>, and one context block of scale
    /// <paramref name="contextScale"/> (aspect 1) from which every target is removed. As in I-JEPA, the block sizes
    /// are drawn once per batch (so every sample has equally large targets), strictly smaller than the grid, and the
    /// block positions per sample. As the reference collator does, a context left with fewer than
    /// <paramref name="minContext"/> tokens is placed again; after 20 failed placements one more target block is
    /// ignored when cutting the context (the constraint relaxes), so every context keeps at least that many tokens.
    /// </summary>
    public static MultiBlockMasks MultiBlock(long batch, int gridH, int gridW, Generator? generator, Device device,
        int targets = 4, (double Min, double Max)? targetScale = null, (double Min, double Max)? targetAspect = null,
        (double Min, double Max)? contextScale = null, int minContext = 4)
    {
        CheckGrid(gridH, gridW, "Masking.MultiBlock");
        if (targets < 1) throw new ArgumentException($"Masking.MultiBlock: targets must be ≥ 1, got {targets}");
        var tokens = gridH * gridW;
        if (minContext < 1 || minContext > tokens) throw new ArgumentException($"Masking.MultiBlock: minContext must be in [1, {tokens}], got {minContext}");
        var ts = targetScale ?? (0.15, 0.2);
        var ta = targetAspect ?? (0.75, 1.5);
        var cs = contextScale ?? (0.85, 1.0);
        var seeds = SampleSeeds(batch + 1, generator);
        var sizeRng = new System.Random(seeds[batch]);
        var (th, tw) = BlockSize(sizeRng, ts, ta, gridH, gridW);
        var (ch, cw) = BlockSize(sizeRng, cs, (1.0, 1.0), gridH, gridW);
        var context = new float[batch * tokens];
        var target = new float[batch * targets * tokens];
        for (int b = 0; b < batch; b++)
        {
            var rng = new System.Random(seeds[b]);
            var blocks = new bool[targets][,];
            for (int m = 0; m < targets; m++)
            {
                blocks[m] = new bool[gridH, gridW];
                Place(blocks[m], rng, th, tw);
                Write(blocks[m], target, b * targets + m);
            }
            Write(PlaceContext(rng, blocks, ch, cw, minContext), context, b);
        }
        using var c = tensor(context, [batch, tokens]);
        using var t = tensor(target, [batch, targets, tokens]);
        return new MultiBlockMasks(c.to(ScalarType.Bool).to(device), t.to(ScalarType.Bool).to(device));
    }

    /// <summary>
    /// Places the context block and removes the target blocks from it until it keeps ≥ <paramref name="minContext"/>
    /// tokens: 20 placements per constraint level, then one target fewer is removed (the reference's timeout and tries).
    /// </summary>
    static bool[,] PlaceContext(System.Random rng, bool[][,] targets, int h, int w, int minContext)
    {
        var (gh, gw) = (targets[0].GetLength(0), targets[0].GetLength(1));
        minContext = Math.Min(minContext, h * w); // once every target is ignored, the whole block is kept
        for (int relaxed = 0; ; relaxed++)
        {
            var used = Math.Max(0, targets.Length - relaxed);
            for (int attempt = 0; attempt < 20; attempt++)
            {
                var ctx = new bool[gh, gw];
                Place(ctx, rng, h, w);
                var kept = 0;
                for (int i = 0; i < gh; i++)
                    for (int j = 0; j < gw; j++)
                    {
                        for (int m = 0; m < used && ctx[i, j]; m++) ctx[i, j] &= !targets[m][i, j];
                        kept += ctx[i, j] ? 1 : 0;
                    }
                if (kept >= minContext) return ctx;
            }
        }
    }

    /// <summary>One BEiT block attempt (up to ten draws): returns how many new tokens it masked.</summary>
    static int AddBlock(bool[,] mask, System.Random rng, int maxNew, int minBlock)
    {
        var (gh, gw) = (mask.GetLength(0), mask.GetLength(1));
        double logLo = Math.Log(0.3), logHi = Math.Log(1 / 0.3);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            var area = minBlock + rng.NextDouble() * (maxNew - minBlock);
            var aspect = Math.Exp(logLo + rng.NextDouble() * (logHi - logLo));
            var h = (int)Math.Round(Math.Sqrt(area * aspect));
            var w = (int)Math.Round(Math.Sqrt(area / aspect));
            if (h < 1 || w < 1 || h > gh || w > gw) continue;
            var top = rng.Next(gh - h + 1);
            var left = rng.Next(gw - w + 1);
            var already = 0;
            for (int i = top; i < top + h; i++)
                for (int j = left; j < left + w; j++) already += mask[i, j] ? 1 : 0;
            var fresh = h * w - already;
            if (fresh <= 0 || fresh > maxNew) continue;
            for (int i = top; i < top + h; i++)
                for (int j = left; j < left + w; j++) mask[i, j] = true;
            return fresh;
        }
        return 0;
    }

    /// <summary>A block of area scale·T and aspect h/w, at least 1×1 and, as in the reference, smaller than the grid on each side longer than 1.</summary>
    static (int H, int W) BlockSize(System.Random rng, (double Min, double Max) scale, (double Min, double Max) aspect, int gh, int gw)
    {
        var s = scale.Min + rng.NextDouble() * (scale.Max - scale.Min);
        var a = aspect.Min + rng.NextDouble() * (aspect.Max - aspect.Min);
        var area = s * gh * gw;
        var h = (int)Math.Round(Math.Sqrt(area * a));
        var w = (int)Math.Round(Math.Sqrt(area / a));
        return (Math.Clamp(h, 1, Math.Max(1, gh - 1)), Math.Clamp(w, 1, Math.Max(1, gw - 1)));
    }

    static void Place(bool[,] mask, System.Random rng, int h, int w)
    {
        var top = rng.Next(mask.GetLength(0) - h + 1);
        var left = rng.Next(mask.GetLength(1) - w + 1);
        for (int i = top; i < top + h; i++)
            for (int j = left; j < left + w; j++) mask[i, j] = true;
    }

    static void Write(bool[,] mask, float[] into, long row)
    {
        var (gh, gw) = (mask.GetLength(0), mask.GetLength(1));
        var offset = row * gh * gw;
        for (int i = 0; i < gh; i++)
            for (int j = 0; j < gw; j++) into[offset + i * gw + j] = mask[i, j] ? 1f : 0f;
    }

    /// <summary>One seed per sample from the torch generator, so the per-sample loops stay reproducible from it.</summary>
    static int[] SampleSeeds(long n, Generator? generator)
    {
        using var s = randint(0, int.MaxValue, [n], dtype: ScalarType.Int64, generator: generator);
        return s.data<long>().Select(v => (int)v).ToArray();
    }

    static void CheckGrid(int gridH, int gridW, string who)
    {
        if (gridH < 1 || gridW < 1) throw new ArgumentException($"{who}: grid must be at least 1×1, got {gridH}×{gridW}");
    }
}
