using Microsoft.ML;
using Microsoft.ML.Data;
using SelfSup.Data;
using SelfSup.Evaluation;
using TorchSharp;

namespace SelfSup.MLNet;

/// <summary>
/// Reads the image column a batch at a time from its own cursor and embeds each batch with
/// <see cref="Features.Extract"/>; <see cref="Row"/> gives the embedding of the row at a position of a cursor that
/// walks the same rows in the same order.
/// </summary>
internal sealed class EmbeddingBatcher
{
    readonly DataViewRowCursor images;
    readonly SelfSupEmbeddingTransformer transformer;
    readonly Action<Span<byte>> read;
    readonly float[] embeddings; // [BatchSize, D], row-major
    long start = -1;
    int count;

    public EmbeddingBatcher(DataViewRowCursor images, SelfSupEmbeddingTransformer transformer)
    {
        this.images = images;
        this.transformer = transformer;
        var shape = transformer.Shape;
        var column = images.Schema[transformer.InputColumnName];
        shape.CheckType(column.Name, column.Type);
        embeddings = new float[transformer.BatchSize * shape.Dimension];
        read = ((VectorDataViewType)column.Type).ItemType == NumberDataViewType.Byte
            ? ByteReader(images.GetGetter<VBuffer<byte>>(column), column.Name, shape)
            : FloatReader(images.GetGetter<VBuffer<float>>(column), column.Name, shape);
    }

    /// <summary>The embedding [D] of the row at <paramref name="position"/>; positions must not go back before the current batch.</summary>
    public ReadOnlySpan<float> Row(long position)
    {
        if (position < start)
            throw new InvalidOperationException($"SelfSupEmbed: row {position} comes before the embedded batch starting at row {start}; rows are embedded in order");
        if (position >= start + count) Fill(position);
        var d = transformer.Shape.Dimension;
        return embeddings.AsSpan((int)(position - start) * d, d);
    }

    /// <summary>Embeds up to BatchSize rows from <paramref name="position"/> on.</summary>
    void Fill(long position)
    {
        while (images.Position < position - 1)
            if (!images.MoveNext()) throw new InvalidOperationException($"SelfSupEmbed: the image column ended before row {position}");
        var shape = transformer.Shape;
        var pixels = new byte[transformer.BatchSize * shape.Pixels];
        var n = 0;
        while (n < transformer.BatchSize && images.MoveNext())
        {
            // (A finished cursor's position is -1, so it is checked per row.)
            if (images.Position != position + n)
                throw new InvalidOperationException($"SelfSupEmbed: the image column's cursor is at row {images.Position}, expected {position + n}");
            read(pixels.AsSpan(n++ * shape.Pixels, shape.Pixels));
        }
        if (n == 0) throw new InvalidOperationException($"SelfSupEmbed: the image column has no row {position}");
        using var scope = torch.NewDisposeScope();
        var batch = torch.tensor(pixels.AsSpan(0, n * shape.Pixels).ToArray(), [n, shape.Channels, shape.Height, shape.Width]); // [n, C, H, W] uint8
        using var data = new ImageDataset(transformer.InputColumnName, batch, labels: null);
        var trained = transformer.Trained;
        var z = Features.Extract(trained.Encoder, data, trained.Stats, transformer.Device, transformer.BatchSize); // [n, D], CPU
        z.data<float>().CopyTo(embeddings.AsSpan(0, n * shape.Dimension));
        start = position;
        count = n;
    }

    static Action<Span<byte>> ByteReader(ValueGetter<VBuffer<byte>> getter, string column, EmbeddingShape shape)
    {
        var value = default(VBuffer<byte>);
        return destination =>
        {
            getter(ref value);
            CheckLength(value.Length, column, shape);
            value.CopyTo(destination);
        };
    }

    static Action<Span<byte>> FloatReader(ValueGetter<VBuffer<float>> getter, string column, EmbeddingShape shape)
    {
        var value = default(VBuffer<float>);
        var buffer = new float[shape.Pixels];
        return destination =>
        {
            getter(ref value);
            CheckLength(value.Length, column, shape);
            value.CopyTo(buffer);
            for (var i = 0; i < buffer.Length; i++) destination[i] = (byte)Math.Clamp(MathF.Round(buffer[i]), 0f, 255f);
        };
    }

    static void CheckLength(int length, string column, EmbeddingShape shape)
    {
        if (length != shape.Pixels)
            throw new ArgumentException($"SelfSupEmbed: a row of input column '{column}' has {length} values; expected {shape.Pixels} ({shape.Describe()})");
    }
}
