using Microsoft.ML;
using Microsoft.ML.Data;
using SelfSup.Data;
using TorchSharp;

namespace SelfSup.MLNet;

/// <summary>SelfSup datasets (every loader's <see cref="ImageDataset"/>) as ML.NET data views.</summary>
public static class ImageDataViews
{
    /// <summary>Rows read from the dataset at a time.</summary>
    const int Chunk = 1024;

    /// <summary>
    /// One row per image: <paramref name="imageColumn"/>, a known-size Byte vector of the C·H·W pixels (channel-major,
    /// the layout <see cref="SelfSupCatalog.SelfSupEmbed"/> reads), and, when the dataset has labels,
    /// <paramref name="labelColumn"/>, the class index as UInt32 (map it to a key with MapValueToKey for a trainer).
    /// </summary>
    public static IDataView FromDataset(MLContext mlContext, ImageDataset data, string imageColumn = "Image", string labelColumn = "Label")
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        var pixels = data.Channels * data.Height * data.Width;
        var images = new byte[data.Count][];
        for (long start = 0; start < data.Count; start += Chunk)
        {
            using var scope = torch.NewDisposeScope();
            var n = (int)Math.Min(Chunk, data.Count - start);
            var flat = data.Range(start, n).reshape(n, pixels).contiguous().data<byte>().ToArray(); // [n · C·H·W]
            for (var i = 0; i < n; i++) images[start + i] = flat.AsSpan(i * pixels, pixels).ToArray();
        }
        var vector = new VectorDataViewType(NumberDataViewType.Byte, pixels);
        if (data.Labels is not { } labels)
        {
            var schema = SchemaDefinition.Create(typeof(ImageRow));
            schema[nameof(ImageRow.Image)].ColumnName = imageColumn;
            schema[nameof(ImageRow.Image)].ColumnType = vector;
            return mlContext.Data.LoadFromEnumerable(images.Select(x => new ImageRow { Image = x }), schema);
        }
        var labeled = SchemaDefinition.Create(typeof(LabeledImageRow));
        labeled[nameof(LabeledImageRow.Image)].ColumnName = imageColumn;
        labeled[nameof(LabeledImageRow.Image)].ColumnType = vector;
        labeled[nameof(LabeledImageRow.Label)].ColumnName = labelColumn;
        return mlContext.Data.LoadFromEnumerable(images.Select((x, i) => new LabeledImageRow { Image = x, Label = checked((uint)labels[i]) }), labeled);
    }

    sealed class ImageRow
    {
        public byte[] Image { get; set; } = [];
    }

    sealed class LabeledImageRow
    {
        public byte[] Image { get; set; } = [];
        public uint Label { get; set; }
    }
}
