namespace SelfSup.Cli;

/// <summary>
/// Analytic FLOP counts for the benchmarked SimCLR step, so its achieved GFLOP/s can be set against the machine's
/// measured matmul peak. One multiply-add is 2 FLOP:
///   conv  k×k, Cin → Cout, output Hout×Wout:  2·k²·Cin·Cout·Hout·Wout
///   linear in → out:                           2·in·out
///   similarity matrix z·zᵀ for M rows of P:    2·M²·P
/// per image (or per step for the similarity matrix). Normalisation, activations, pooling and the optimizer update
/// are left out (a few percent of the convolutions). A training step costs 3× its forward pass (the backward pass
/// computes gradients for both the inputs and the weights of every layer, each as costly as the forward).
/// </summary>
public static class BenchFlops
{
    /// <summary>Conv FLOP of a ResNet-18 with the CIFAR stem (3×3 conv, stride 1, no max-pool) at base width w, per image.</summary>
    public static double ResNet18CifarForward(int width, int imageSize, int inChannels = 3)
    {
        double total = 0;
        long size = imageSize;
        total += Conv(3, inChannels, width, size);
        int channels = width;
        var planes = new[] { width, 2 * width, 4 * width, 8 * width };
        for (int stage = 0; stage < 4; stage++)
        {
            for (int block = 0; block < 2; block++)
            {
                int stride = stage > 0 && block == 0 ? 2 : 1;
                size = (size + stride - 1) / stride; // 3×3, padding 1 (and 1×1, padding 0): ceil(size / stride)
                total += Conv(3, channels, planes[stage], size);        // conv1 (carries the stride)
                total += Conv(3, planes[stage], planes[stage], size);   // conv2
                if (stride != 1 || channels != planes[stage]) total += Conv(1, channels, planes[stage], size); // downsample
                channels = planes[stage];
            }
        }
        return total;
    }

    /// <summary>SimCLR head per image: embedding D → hidden (no bias) → projection.</summary>
    public static double ProjectionForward(int embeddingDim, int hidden = 2048, int projection = 128) =>
        Linear(embeddingDim, hidden) + Linear(hidden, projection);

    /// <summary>FLOP of one SimCLR training step on <paramref name="batch"/> images (2 views each): 3 × forward.</summary>
    public static double SimClrStep(int width, int imageSize, int batch)
    {
        long views = 2L * batch;
        var perView = ResNet18CifarForward(width, imageSize) + ProjectionForward(8 * width);
        var similarity = 2.0 * views * views * 128;
        return 3 * (views * perView + similarity);
    }

    static double Conv(int k, int cin, int cout, long outSize) => 2.0 * k * k * cin * cout * outSize * outSize;

    static double Linear(int input, int output) => 2.0 * input * output;
}
