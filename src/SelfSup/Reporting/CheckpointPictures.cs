using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Methods;
using SelfSup.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Reporting;

/// <summary>
/// The pictures of one checkpoint (`selfsup reconstruct`): its method rebuilt and loaded, and images of one split of
/// its dataset, on the run's device. Reconstructions need a method that draws them (<see cref="IReconstructionPictures"/>:
/// MAE, the autoencoders); samples and interpolations a generative one (<see cref="IGenerativePictures"/>: the VAE).
/// </summary>
public sealed class CheckpointPictures : IDisposable
{
    readonly SslMethod method;
    readonly ImageDataset data;
    readonly Device device;
    readonly string checkpointPath;

    CheckpointPictures(string checkpointPath, SslMethod method, ImageDataset data, Device device, ChannelStats stats, string methodName)
    {
        this.checkpointPath = checkpointPath;
        this.method = method;
        this.data = data;
        this.device = device;
        Stats = stats;
        MethodName = methodName;
    }

    public ChannelStats Stats { get; }

    /// <summary>The registered name of the checkpoint's method.</summary>
    public string MethodName { get; }

    /// <summary>Whether the method draws samples and interpolations (<see cref="IGenerativePictures"/>).</summary>
    public bool IsGenerative => method is IGenerativePictures;

    /// <summary>Loads the checkpoint and the <paramref name="split"/> split of its dataset.</summary>
    public static CheckpointPictures Open(string checkpointPath, string split = "test", DatasetOptions? dataOptions = null)
    {
        var (method, state) = Checkpoint.LoadMethod(checkpointPath, s => Pretraining.BuildMethod(s.Config).Method);
        var config = state.Config;
        try
        {
            var options = config.DecodingOf(dataOptions ?? new DatasetOptions()) with { ImageSize = config.ImageSize, Channels = config.Channels };
            var data = Datasets.Load(config.Data, split, options);
            var device = TorchRuntime.ParseDevice(config.Device);
            method.to(device);
            return new CheckpointPictures(checkpointPath, method, data, device, new ChannelStats(config.NormalizeMean, config.NormalizeStd), config.Method);
        }
        catch
        {
            method.Dispose();
            throw;
        }
    }

    /// <summary>Original | … | reconstruction of <paramref name="count"/> images spread over the split; random draws (masks, noise) from <paramref name="seed"/>.</summary>
    public void Reconstructions(string path, int count = 8, long seed = 0, int scale = 4)
    {
        var drawer = method as IReconstructionPictures
            ?? throw new ArgumentException($"{checkpointPath}: method '{MethodName}' draws no reconstructions; expected a checkpoint of mae, ae, dae or vae");
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed, new Device(DeviceType.CPU));
        ReconstructionPicture.Save(path, drawer.ReconstructionColumns(Images(count), generator), Stats, scale);
    }

    /// <summary><paramref name="rows"/> × <paramref name="columns"/> images decoded from prior samples drawn from <paramref name="seed"/>.</summary>
    public void Samples(string path, int rows = 8, int columns = 8, long seed = 0, int scale = 4)
    {
        var model = Generative();
        if (columns < 1) throw new ArgumentException($"samples: columns must be ≥ 1, got {columns}");
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed, new Device(DeviceType.CPU));
        var samples = model.Sample(rows * columns, generator);                                // [rows·columns, C, H, W]
        var grid = Enumerable.Range(0, columns).Select(j => samples.narrow(0, (long)j * rows, rows)).ToArray();
        ReconstructionPicture.Save(path, grid, Stats, scale);
    }

    /// <summary>
    /// One row per pair of consecutive images (2i and 2i + 1 of 2 × <paramref name="count"/> spread over the split): the
    /// first image, <paramref name="steps"/> decodings along the straight line between their latent codes, the second image.
    /// </summary>
    public void Interpolations(string path, int count = 8, int steps = 8, int scale = 4)
    {
        var model = Generative();
        using var scope = NewDisposeScope();
        var pairs = Math.Min(count, data.Count / 2);
        if (pairs < 1) throw new ArgumentException($"interpolations: the split has {data.Count} image(s); expected at least 2");
        var images = Images(2 * pairs).view(pairs, 2, data.Channels, data.Height, data.Width); // [P, 2, C, H, W]
        ReconstructionPicture.Save(path, model.Interpolate(images.select(1, 0), images.select(1, 1), steps), Stats, scale);
    }

    IGenerativePictures Generative() => method as IGenerativePictures
        ?? throw new ArgumentException($"{checkpointPath}: method '{MethodName}' is not generative; samples and interpolations need a vae checkpoint");

    /// <summary>
    /// Normalised images [n, C, H, W] of <paramref name="count"/> rows spread over the split (fewer when it is shorter),
    /// so a split stored class by class shows all its classes, not its first.
    /// </summary>
    Tensor Images(int count)
    {
        if (count < 1) throw new ArgumentException($"pictures: count must be ≥ 1, got {count}");
        return Stats.ToModelInput(data.Spread(count), device);
    }

    public void Dispose()
    {
        method.Dispose();
        data.Dispose();
    }
}
