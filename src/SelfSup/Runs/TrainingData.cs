using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Encoders;
using SelfSup.Methods;
using SelfSup.Training;
using static TorchSharp.torch;

namespace SelfSup.Runs;

/// <summary>One batch as the <see cref="Trainer"/> reads it, before the step turns it into a <see cref="TrainingBatch"/>.</summary>
public interface IStepInput : IDisposable
{
    /// <summary>Dataset rows of the batch.</summary>
    long[] Indices { get; }

    /// <summary>
    /// What the method's step sees, made inside the step's dispose scope with the run's augmentation generator, and
    /// how the collapse monitor measures the representation on this batch.
    /// </summary>
    PreparedStep Prepare(Device device, Generator generator);
}

/// <summary>A batch ready for the method's step, and how to measure the representation on it.</summary>
public sealed record PreparedStep(TrainingBatch Batch, Func<CollapseMonitor, EmbeddingHealth> Measure);

/// <summary>
/// The <see cref="Trainer"/>'s source of batches: images turned into views by a recipe (<see cref="ImageTrainingData"/>)
/// or token sequences (<see cref="TextTrainingData"/>). Batch order depends only on (seed, epoch), so resume repeats it.
/// </summary>
public interface ITrainingData
{
    /// <summary>Rows of the training set.</summary>
    int Count { get; }

    int BatchesPerEpoch { get; }

    /// <summary>The batches of <paramref name="epoch"/> from <paramref name="startBatch"/> on.</summary>
    IEnumerable<IStepInput> Epoch(int epoch, int startBatch, Device device);

    /// <summary>What <see cref="SslMethod.BeforeEpoch"/> sees, or null where the data has no image dataset to show (text).</summary>
    EpochContext? EpochContext(int epoch, int startBatch, Device device, long seed, long step, long totalSteps);
}

/// <summary>Images from a <see cref="DataLoader"/>, turned into views by the method's recipe on the training device.</summary>
public sealed class ImageTrainingData(DataLoader loader, IViewRecipe views, ChannelStats stats, Encoder representation) : ITrainingData
{
    public DataLoader Loader => loader;
    public IViewRecipe Views => views;
    public ChannelStats Stats => stats;
    /// <summary>What the collapse monitor measures.</summary>
    public Encoder Representation => representation;
    public int Count => loader.Dataset.Count;
    public int BatchesPerEpoch => loader.BatchesPerEpoch;

    public IEnumerable<IStepInput> Epoch(int epoch, int startBatch, Device device) =>
        loader.Epoch(epoch, startBatch, device).Select(b => (IStepInput)new ImageStep(b, this));

    public EpochContext? EpochContext(int epoch, int startBatch, Device device, long seed, long step, long totalSteps) =>
        new(epoch, startBatch, loader.Dataset, stats, device, seed, step, totalSteps);

    sealed class ImageStep(Batch batch, ImageTrainingData data) : IStepInput
    {
        public long[] Indices => batch.Indices;

        public PreparedStep Prepare(Device device, Generator generator)
        {
            var images = batch.Images.to(device);
            var v = data.Views.ApplyWithTargets(images, generator);
            var trainingBatch = new TrainingBatch(v.Images, tensor(batch.Indices, device: device), v.Targets, new Dictionary<string, Tensor>());
            return new PreparedStep(trainingBatch, monitor => Monitor(monitor, data.Representation, v.Images, images, data.Stats));
        }

        public void Dispose() => batch.Dispose();
    }

    /// <summary>
    /// Two views of one batch (the same images) are measured as the loss sees them; a one-view method's
    /// representation is measured on the batch's clean images, where alignment is undefined.
    /// </summary>
    static EmbeddingHealth Monitor(CollapseMonitor monitor, Encoder representation, Tensor[] views, Tensor images, ChannelStats stats)
    {
        if (views.Length >= 2 && views[0].shape[0] == views[1].shape[0] && views[0].shape[0] == images.shape[0])
            return monitor.Measure(representation, views[0], views[1]);
        using var clean = stats.ToModelInput(images, images.device);
        return monitor.Measure(representation, clean, view1: null);
    }
}
