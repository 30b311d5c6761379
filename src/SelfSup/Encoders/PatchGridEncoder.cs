using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Encoders;

/// <summary>
/// An image seen as a grid of overlapping patches, each encoded on its own by an inner encoder (CPC's patch path,
/// van den Oord et al. 2018 §3.3; Hénaff et al. 2020 §3: 64-px patches with a 32-px stride make a 7 × 7 grid of a
/// 256-px image). <see cref="ForwardFeatures"/> gives the grid of patch embeddings [B, D, G_h, G_w] (a feature map,
/// rows top to bottom), <see cref="Pool"/> its mean [B, D]. Training and evaluation both go through this path, so
/// a probe sees the function that was trained.
/// </summary>
public sealed class PatchGridEncoder : Encoder
{
    readonly Encoder encoder;

    /// <param name="encoder">Encodes one patch batch [N, C, p, p] → [N, D]; it must accept <paramref name="patchSize"/>-pixel inputs.</param>
    /// <param name="channels">Channels of the images.</param>
    /// <param name="patchSize">Side p of a patch in pixels.</param>
    /// <param name="stride">Pixels between the corners of neighbouring patches (p/2: half-overlapping patches).</param>
    public PatchGridEncoder(Encoder encoder, int channels, int patchSize, int stride) : base(nameof(PatchGridEncoder))
    {
        ArgumentNullException.ThrowIfNull(encoder);
        if (channels < 1) throw new ArgumentException($"PatchGridEncoder.channels: expected ≥ 1, got {channels}");
        if (patchSize < 1) throw new ArgumentException($"PatchGridEncoder.patch_size: expected ≥ 1, got {patchSize}");
        if (stride < 1) throw new ArgumentException($"PatchGridEncoder.stride: expected ≥ 1, got {stride}");
        this.encoder = encoder;
        Channels = channels;
        PatchSize = patchSize;
        Stride = stride;
        CheckAcceptsPatches();
        RegisterComponents();
    }

    /// <summary>The encoder applied to every patch.</summary>
    public Encoder Inner => encoder;

    public int Channels { get; }

    public int PatchSize { get; }

    public int Stride { get; }

    public override int EmbeddingDim => encoder.EmbeddingDim;

    /// <summary>Patches along one side of a <paramref name="size"/>-pixel image: ⌊(size − p) / stride⌋ + 1 (pixels past the last patch are left out).</summary>
    public int GridFor(int size)
    {
        if (size < PatchSize)
            throw new ArgumentException($"PatchGridEncoder: images of {size} px are smaller than the {PatchSize}-px patches; expected patch_size ≤ image size");
        return (size - PatchSize) / Stride + 1;
    }

    /// <summary>Images [B, C, H, W] → patches [B·G_h·G_w, C, p, p], row-major over the grid of each image.</summary>
    public Tensor Cut(Tensor x)
    {
        EncoderInput.Check(x, Channels, nameof(PatchGridEncoder));
        var (gh, gw) = (GridFor((int)x.shape[2]), GridFor((int)x.shape[3]));
        using var scope = NewDisposeScope();
        var grid = x.unfold(2, PatchSize, Stride).unfold(3, PatchSize, Stride);   // [B, C, G_h, G_w, p, p]
        return grid.permute(0, 2, 3, 1, 4, 5)                                      // [B, G_h, G_w, C, p, p]
            .reshape(x.shape[0] * gh * gw, Channels, PatchSize, PatchSize)         // [B·G_h·G_w, C, p, p]
            .MoveToOuterDisposeScope();
    }

    /// <summary>Patches [B·G_h·G_w, C, p, p] (as <see cref="Cut"/> orders them) → the grid of embeddings [B, D, G_h, G_w].</summary>
    public Tensor EncodePatches(Tensor patches, long batch, int gridHeight, int gridWidth)
    {
        if (patches.shape[0] != batch * gridHeight * gridWidth)
            throw new ArgumentException($"PatchGridEncoder: expected {batch} × {gridHeight} × {gridWidth} patches, got {patches.shape[0]}");
        using var scope = NewDisposeScope();
        var z = encoder.forward(patches);                                          // [B·G_h·G_w, D]
        return z.reshape(batch, gridHeight, gridWidth, z.shape[1])                 // [B, G_h, G_w, D]
            .permute(0, 3, 1, 2)                                                   // [B, D, G_h, G_w]
            .MoveToOuterDisposeScope();
    }

    /// <summary>Images [B, C, H, W] → the grid of patch embeddings [B, D, G_h, G_w].</summary>
    public override Tensor ForwardFeatures(Tensor x)
    {
        using var scope = NewDisposeScope();
        var patches = Cut(x);
        return EncodePatches(patches, x.shape[0], GridFor((int)x.shape[2]), GridFor((int)x.shape[3])).MoveToOuterDisposeScope();
    }

    /// <summary>The mean patch embedding [B, D].</summary>
    public override Tensor Pool(Tensor features) => EncoderInput.GlobalAveragePool(features, nameof(PatchGridEncoder));

    /// <summary>
    /// Runs the inner encoder once on two blank patches (evaluation mode, no gradient, no random draws) and turns a
    /// failure into an error that names the patch size: a ViT built for whole images rejects small patches.
    /// </summary>
    void CheckAcceptsPatches()
    {
        var wasTraining = encoder.training;
        try
        {
            encoder.eval();
            using var noGrad = no_grad();
            using var blank = zeros(2, Channels, PatchSize, PatchSize);
            using var z = encoder.forward(blank);
            if (z.dim() != 2 || z.shape[1] != encoder.EmbeddingDim)
                throw new ArgumentException($"expected [2, {encoder.EmbeddingDim}] embeddings, got [{string.Join(", ", z.shape)}]");
        }
        catch (Exception e) when (e is ArgumentException or ExternalException or InvalidOperationException)
        {
            throw new ArgumentException($"patch_size: the encoder {encoder.GetName()} does not accept {PatchSize} × {PatchSize} patches " +
                $"({e.Message.Split('\n')[0]}); expected a patch size it can encode, e.g. a ConvNet or ResNet on patches of 8 px or more", e);
        }
        finally
        {
            encoder.train(wasTraining);
        }
    }
}
