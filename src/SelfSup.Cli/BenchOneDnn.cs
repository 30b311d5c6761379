using static TorchSharp.torch;

namespace SelfSup.Cli;

/// <summary>
/// The oneDNN sweep: which convolution shapes give wrong float32 results on this CPU, in NCHW and in channels-last
/// layout, against float64 (<see cref="OneDnnCheck.RelativeError"/>, NaN-filled memory before each of 3 rounds).
/// Run it with SELFSUP_ONEDNN=on, so the process's own check leaves oneDNN as it is.
/// </summary>
static class BenchOneDnn
{
    /// <summary>
    /// The shapes: 2-D convolutions and transposed convolutions, kernel 1–7, stride 1–2, 3–64 channels in, 1–64 out,
    /// on batches of 32 maps of 16×16; first the convolutions of ResNet-18s of width 64 and 16 on 32×32 input
    /// (<see cref="ResNet18Convolutions"/>).
    /// </summary>
    public static Dictionary<string, object> Run()
    {
        var rows = new List<Dictionary<string, object>>();
        // ResNet-18 of width 64 at small batches, and of width 16 (the CPU benchmarks' model) at the batches its
        // pretraining runs take: 256 images, or two views of 256 in one pass.
        foreach (var (width, batches) in new[] { (64, new[] { 4, 32 }), (16, new[] { 256, 512 }) })
        foreach (var channelsLast in new[] { false, true })
        foreach (var (ci, co, map, s, k) in ResNet18Convolutions(width))
        foreach (var batch in batches)
        {
            var row = Row($"resnet18_w{width}", channelsLast, k, s, ci, co);
            row["map"] = map;
            row["batch"] = batch;
            Measure(row, (a, b) => nn.functional.conv2d(a, b, strides: [s, s], padding: [k / 2, k / 2]), [batch, ci, map, map], [co, ci, k, k], channelsLast, (ulong)(ci * 7 + co + map + batch));
            rows.Add(row);
        }
        int[] kernels = [1, 3, 4, 7], strides = [1, 2], inputs = [3, 4, 16, 20, 64], outputs = [1, 3, 4, 12, 16, 24, 64];
        foreach (var transposed in new[] { false, true })
        foreach (var channelsLast in new[] { false, true })
        foreach (var k in kernels)
        foreach (var s in strides)
        foreach (var ci in inputs)
        foreach (var co in outputs)
        {
            if (transposed && k < s) continue;
            var row = Row(transposed ? "conv_transpose2d" : "conv2d", channelsLast, k, s, ci, co);
            var seed = (ulong)(k * 1000 + s * 100 + ci + co);
            // A strided 1×1 convolution on channels-last input with 2–15 channels corrupts the heap (oneDNN#6035):
            // not run, so the sweep finishes; SelfSup's ResNet shortcuts avoid it by subsampling first.
            if (!transposed && channelsLast && k == 1 && s > 1 && ci is > 1 and < 16)
                row["skipped"] = "oneDNN#6035: corrupts the heap";
            else if (transposed)
            {
                int p = (k - s + 1) / 2;
                Measure(row, (a, b) => nn.functional.conv_transpose2d(a, b, strides: [s, s], padding: [p, p]), [32, ci, 16, 16], [ci, co, k, k], channelsLast, seed);
            }
            else
                Measure(row, (a, b) => nn.functional.conv2d(a, b, strides: [s, s], padding: [k / 2, k / 2]), [32, ci, 16, 16], [co, ci, k, k], channelsLast, seed);
            rows.Add(row);
        }
        var run = rows.Where(r => !r.ContainsKey("skipped")).ToList();
        object Summary(string op, string layout)
        {
            var these = run.Where(r => (string)r["op"] == op && (string)r["layout"] == layout).ToList();
            return new Dictionary<string, object>
            {
                ["shapes"] = these.Count,
                ["wrong"] = these.Count(r => !(bool)r["right"]),
                ["wrong_shapes"] = these.Where(r => !(bool)r["right"]).Select(r => $"k{r["kernel"]} s{r["stride"]} {r["in"]}→{r["out"]}" +
                    (r.TryGetValue("map", out var m) ? $" {m}×{m} batch {r["batch"]}" : "") +
                    $": {(r["relative_error"] is double e ? e.ToString("G2") : r["relative_error"])}").ToList(),
            };
        }
        return new Dictionary<string, object>
        {
            ["onednn"] = OneDnnCheck.Outcome ?? "",
            ["batch"] = "32 (resnet18_w64: 4 and 32; resnet18_w16: 256 and 512)", ["map"] = "16×16 (resnet18: the layer's)", ["rounds"] = 3, ["bar"] = 1e-4,
            ["summary"] = new Dictionary<string, object>
            {
                ["conv2d_nchw"] = Summary("conv2d", "nchw"), ["conv2d_channels_last"] = Summary("conv2d", "channels-last"),
                ["conv_transpose2d_nchw"] = Summary("conv_transpose2d", "nchw"), ["conv_transpose2d_channels_last"] = Summary("conv_transpose2d", "channels-last"),
                ["resnet18_w64_nchw"] = Summary("resnet18_w64", "nchw"), ["resnet18_w64_channels_last"] = Summary("resnet18_w64", "channels-last"),
                ["resnet18_w16_nchw"] = Summary("resnet18_w16", "nchw"), ["resnet18_w16_channels_last"] = Summary("resnet18_w16", "channels-last"),
            },
            ["shapes"] = rows,
        };
    }

    /// <summary>
    /// The distinct convolutions of a CIFAR-stem ResNet-18 of the given width on 32×32 input: (in, out, map, stride,
    /// kernel), the shortcuts as SelfSup runs them (subsampled, then 1×1 with stride 1).
    /// </summary>
    static (int In, int Out, int Map, int Stride, int Kernel)[] ResNet18Convolutions(int w) =>
    [
        (3, w, 32, 1, 3), (w, w, 32, 1, 3), (w, 2 * w, 32, 2, 3), (2 * w, 2 * w, 16, 1, 3), (w, 2 * w, 16, 1, 1),
        (2 * w, 4 * w, 16, 2, 3), (4 * w, 4 * w, 8, 1, 3), (2 * w, 4 * w, 8, 1, 1), (4 * w, 8 * w, 8, 2, 3), (8 * w, 8 * w, 4, 1, 3), (4 * w, 8 * w, 4, 1, 1),
    ];

    static Dictionary<string, object> Row(string op, bool channelsLast, int kernel, int stride, int input, int output) => new()
    {
        ["op"] = op, ["layout"] = channelsLast ? "channels-last" : "nchw", ["kernel"] = kernel, ["stride"] = stride, ["in"] = input, ["out"] = output,
    };

    /// <summary>Adds the convolution's relative error on seeded float64 input and weights, and whether it is within 1e-4.</summary>
    static void Measure(Dictionary<string, object> row, Func<Tensor, Tensor, Tensor> conv, long[] input, long[] weight, bool channelsLast, ulong seed)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(seed);
        var x = randn(input, dtype: float64, generator: g);
        var w = randn(weight, dtype: float64, generator: g);
        var error = OneDnnCheck.RelativeError(conv, x, w, channelsLast);
        row["relative_error"] = double.IsPositiveInfinity(error) ? "NaN" : error;
        row["right"] = error <= 1e-4;
    }
}
