using Microsoft.ML;

namespace SelfSup.MLNet;

/// <summary>ML.NET catalog entry: <c>mlContext.Transforms.SelfSupEmbed(...)</c>.</summary>
public static class SelfSupCatalog
{
    /// <summary>
    /// Embeds an image column with the representation of a SelfSup checkpoint (see
    /// <see cref="SelfSupEmbeddingTransformer"/> for the image column's layout).
    /// </summary>
    /// <param name="catalog">mlContext.Transforms.</param>
    /// <param name="checkpointPath">A checkpoint written by <c>selfsup pretrain</c> (e.g. runs/x/checkpoints/last.ckpt).</param>
    /// <param name="outputColumnName">The added float vector column.</param>
    /// <param name="inputColumnName">The image column: Byte or Single vector of C·H·W pixel values 0–255, channel-major.</param>
    /// <param name="batchSize">Images per encoder call.</param>
    /// <param name="device">cpu, cuda or cuda:N.</param>
    public static SelfSupEmbeddingEstimator SelfSupEmbed(this TransformsCatalog catalog, string checkpointPath,
        string outputColumnName = "Features", string inputColumnName = "Image", int batchSize = 256, string device = "cpu")
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new SelfSupEmbeddingEstimator(checkpointPath, outputColumnName, inputColumnName, batchSize, device);
    }
}
