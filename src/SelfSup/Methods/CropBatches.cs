using SelfSup.Encoders;
using static TorchSharp.torch;

namespace SelfSup.Methods;

/// <summary>
/// Multi-crop forward passes (SwAV's and DINO's multi-resolution wrappers): consecutive views of one shape share an
/// encoder pass, so BatchNorm sees the global crops together and the local crops together, each resolution as one batch.
/// </summary>
public static class CropBatches
{
    /// <summary>Encoder features of <paramref name="views"/> (each [B, C, H, W]) in the views' order: [V·B, D].</summary>
    public static Tensor Encode(Encoder encoder, IReadOnlyList<Tensor> views)
    {
        if (views.Count == 0) throw new ArgumentException("CropBatches: at least one view is needed", nameof(views));
        using var scope = NewDisposeScope();
        var features = new List<Tensor>();
        for (int i = 0; i < views.Count;)
        {
            var j = i + 1;
            while (j < views.Count && views[j].shape.SequenceEqual(views[i].shape)) j++;
            features.Add(encoder.forward(cat(views.Skip(i).Take(j - i).ToList(), 0))); // [(j − i)·B, D]
            i = j;
        }
        return cat(features, 0).MoveToOuterDisposeScope();                             // [V·B, D]
    }
}
