using Microsoft.ML;
using Microsoft.ML.Data;
using SelfSup.Runs;

namespace SelfSup.MLNet;

/// <summary>What a checkpoint's encoder takes (C × H × W pixels) and gives (a D-wide embedding).</summary>
public sealed record EmbeddingShape(int Channels, int Height, int Width, int Dimension)
{
    /// <summary>Pixel values per image, C·H·W.</summary>
    public int Pixels => Channels * Height * Width;

    public static EmbeddingShape Of(TrainedEncoder trained) =>
        new(trained.Config.Channels, trained.Config.ImageSize, trained.Config.ImageSize, (int)trained.Encoder.EmbeddingDim);

    /// <summary>Throws unless <paramref name="column"/> is a known-size vector of Byte or Single with C·H·W values.</summary>
    public void CheckImageColumn(DataViewSchema schema, string column)
    {
        var found = schema.GetColumnOrNull(column)
            ?? throw new ArgumentException($"SelfSupEmbed: input column '{column}' not found; expected a vector of Byte or Single with {Pixels} values ({Describe()})");
        CheckType(column, found.Type);
    }

    internal void CheckType(string column, DataViewType type)
    {
        if (type is not VectorDataViewType vector || (vector.ItemType != NumberDataViewType.Byte && vector.ItemType != NumberDataViewType.Single))
            throw new ArgumentException($"SelfSupEmbed: input column '{column}' is {type}; expected a vector of Byte or Single with {Pixels} values ({Describe()})");
        if (!vector.IsKnownSize || vector.Size != Pixels)
            throw new ArgumentException($"SelfSupEmbed: input column '{column}' has {(vector.IsKnownSize ? vector.Size.ToString(System.Globalization.CultureInfo.InvariantCulture) : "a variable number of")} values per row; expected a vector of known size {Pixels} ({Describe()})");
    }

    internal string Describe() => $"C × H × W = {Channels} × {Height} × {Width}, channel-major, values 0–255";
}
