using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Data;

/// <summary>
/// A decoded image dataset: one packed uint8 tensor [N, C, H, W] on the CPU, optional labels and class names.
/// Every reader produces this; the loader, augmentation and evaluation consume it.
/// </summary>
public sealed class ImageDataset : IDisposable
{
    public ImageDataset(string name, Tensor images, long[]? labels, IReadOnlyList<string>? classNames = null)
    {
        if (images.dtype != ScalarType.Byte || images.dim() != 4)
            throw new ArgumentException($"dataset '{name}': images must be uint8 [N, C, H, W], got {images.dtype} [{string.Join(", ", images.shape)}]");
        if (labels is not null && labels.Length != images.shape[0])
            throw new ArgumentException($"dataset '{name}': {images.shape[0]} images but {labels.Length} labels");
        Name = name;
        Images = images;
        Labels = labels;
        ClassNames = classNames ?? (labels is null ? [] : Enumerable.Range(0, labels.Length == 0 ? 0 : (int)labels.Max() + 1).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
    }

    public string Name { get; }
    /// <summary>uint8 [N, C, H, W], CPU, contiguous.</summary>
    public Tensor Images { get; }
    public long[]? Labels { get; }
    public IReadOnlyList<string> ClassNames { get; }
    public int Count => (int)Images.shape[0];
    public int Channels => (int)Images.shape[1];
    public int Height => (int)Images.shape[2];
    public int Width => (int)Images.shape[3];
    public bool HasLabels => Labels is not null;
    public int NumClasses => ClassNames.Count;

    /// <summary>Labels as an int64 tensor [N] (throws when the dataset has none).</summary>
    public Tensor LabelTensor() => Labels is null
        ? throw new InvalidOperationException($"dataset '{Name}' has no labels")
        : tensor(Labels, ScalarType.Int64);

    /// <summary>A new dataset holding the given rows (copies the images).</summary>
    public ImageDataset Subset(IReadOnlyList<long> indices, string? name = null)
    {
        using var idx = tensor(indices.ToArray(), ScalarType.Int64);
        var images = Images.index_select(0, idx).contiguous();
        var labels = Labels is null ? null : indices.Select(i => Labels[i]).ToArray();
        return new ImageDataset(name ?? Name, images, labels, ClassNames);
    }

    public void Dispose() => Images.Dispose();
}
