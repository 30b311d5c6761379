using Microsoft.ML;
using Microsoft.ML.Data;
using SelfSup.Runs;
using TorchSharp;

namespace SelfSup.MLNet;

/// <summary>
/// Adds a float vector column of embeddings z = f(x) to a data view: the representation of a SelfSup checkpoint
/// (<see cref="TrainedEncoder.Encoder"/>, in eval mode, with the normalisation it was pretrained with) applied to an
/// image column. The image column is a vector of <see cref="byte"/> or <see cref="float"/> pixel values 0–255 in
/// channel-major order (C·H·W, as ML.NET's ExtractPixels writes them with its defaults) at the checkpoint's channels
/// and image size; float values are rounded to bytes, as the encoder was trained on 8-bit images. Rows are embedded
/// in batches of <see cref="BatchSize"/> through <see cref="SelfSup.Evaluation.Features.Extract"/>, so the numbers are
/// those of <c>selfsup eval</c> and <c>selfsup embed</c>. Owns the loaded checkpoint.
/// </summary>
public sealed class SelfSupEmbeddingTransformer : ITransformer, IDisposable
{
    internal SelfSupEmbeddingTransformer(string checkpointPath, string outputColumnName, string inputColumnName, int batchSize, string device)
    {
        CheckpointPath = checkpointPath;
        OutputColumnName = outputColumnName;
        InputColumnName = inputColumnName;
        BatchSize = batchSize;
        Device = TorchRuntime.ParseDevice(device);
        Trained = TrainedEncoder.Load(checkpointPath);
        Trained.Encoder.to(Device);
        Shape = EmbeddingShape.Of(Trained);
    }

    /// <summary>The checkpoint the encoder was loaded from.</summary>
    public string CheckpointPath { get; }

    /// <summary>Name of the added embedding column (float vector of <see cref="EmbeddingShape.Dimension"/>).</summary>
    public string OutputColumnName { get; }

    /// <summary>Name of the image column read.</summary>
    public string InputColumnName { get; }

    /// <summary>Images per encoder call.</summary>
    public int BatchSize { get; }

    /// <summary>Where the encoder runs.</summary>
    public torch.Device Device { get; }

    /// <summary>The loaded checkpoint: encoder, configuration and normalisation.</summary>
    public TrainedEncoder Trained { get; }

    /// <summary>Pixels in and embedding width out.</summary>
    public EmbeddingShape Shape { get; }

    /// <summary>False: the embedding is computed by batches over a cursor, not row by row; use <see cref="Transform"/>.</summary>
    public bool IsRowToRowMapper => false;

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        Shape.CheckImageColumn(inputSchema, InputColumnName);
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        builder.AddColumn(OutputColumnName, new VectorDataViewType(NumberDataViewType.Single, Shape.Dimension));
        return builder.ToSchema();
    }

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) =>
        throw new NotSupportedException($"{nameof(SelfSupEmbeddingTransformer)}: embeds rows in batches through Transform(IDataView); it has no row-to-row mapper (IsRowToRowMapper is false)");

    public IDataView Transform(IDataView input) => new EmbeddingDataView(input, this);

    void ICanSaveModel.Save(ModelSaveContext ctx) =>
        throw new NotSupportedException($"{nameof(SelfSupEmbeddingTransformer)}: the model is the checkpoint {CheckpointPath}; it is not saved into an ML.NET model file. Rebuild the pipeline with SelfSupEmbed(checkpointPath) instead");

    public void Dispose() => Trained.Dispose();
}
