using Microsoft.ML;
using Microsoft.ML.Data;
using SelfSup.Runs;

namespace SelfSup.MLNet;

/// <summary>
/// Estimator of <see cref="SelfSupEmbeddingTransformer"/>: nothing is fitted, the encoder is the checkpoint's
/// (frozen features, as in the linear-probe protocol). Made by <see cref="SelfSupCatalog.SelfSupEmbed"/>.
/// </summary>
public sealed class SelfSupEmbeddingEstimator : IEstimator<SelfSupEmbeddingTransformer>
{
    readonly string checkpointPath;
    readonly string outputColumnName;
    readonly string inputColumnName;
    readonly int batchSize;
    readonly string device;

    internal SelfSupEmbeddingEstimator(string checkpointPath, string outputColumnName, string inputColumnName, int batchSize, string device)
    {
        if (!File.Exists(checkpointPath)) throw new FileNotFoundException($"SelfSupEmbed: no checkpoint at {checkpointPath}", checkpointPath);
        if (batchSize <= 0) throw new ArgumentException($"SelfSupEmbed: batchSize must be positive, got {batchSize}");
        TorchRuntime.ParseDevice(device);
        this.checkpointPath = checkpointPath;
        this.outputColumnName = outputColumnName;
        this.inputColumnName = inputColumnName;
        this.batchSize = batchSize;
        this.device = device;
        using var trained = TrainedEncoder.Load(checkpointPath);
        Shape = EmbeddingShape.Of(trained);
    }

    /// <summary>Pixels in and embedding width out, read from the checkpoint.</summary>
    public EmbeddingShape Shape { get; }

    /// <summary>Loads the checkpoint's encoder; the returned transformer owns it (dispose it when done).</summary>
    public SelfSupEmbeddingTransformer Fit(IDataView input)
    {
        Shape.CheckImageColumn(input.Schema, inputColumnName);
        return new SelfSupEmbeddingTransformer(checkpointPath, outputColumnName, inputColumnName, batchSize, device);
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var image = inputSchema.FirstOrDefault(c => c.Name == inputColumnName);
        if (image.Name is null)
            throw new ArgumentException($"SelfSupEmbed: input column '{inputColumnName}' not found; expected a vector of Byte or Single with {Shape.Pixels} values ({Shape.Describe()})");
        if (image.Kind != SchemaShape.Column.VectorKind.Vector || image.IsKey || (image.ItemType != NumberDataViewType.Byte && image.ItemType != NumberDataViewType.Single))
            throw new ArgumentException($"SelfSupEmbed: input column '{inputColumnName}' is {image.Kind} of {image.ItemType}; expected a vector of known size of Byte or Single with {Shape.Pixels} values ({Shape.Describe()})");
        // SchemaShape.Column has no public constructor. The promise is the one a type conversion of the image column
        // to Single makes: a known-size vector of Single named outputColumnName beside the input columns.
        return new MLContext().Transforms.Conversion.ConvertType(outputColumnName, inputColumnName, DataKind.Single).GetOutputSchema(inputSchema);
    }
}
