using SelfSup.Runs;
using SelfSup.Tests.Data;
using SelfSup.Training;

namespace SelfSup.Tests.Runs;

/// <summary>A labelled IDX file pair without a test split, and a one-step pretraining run on it.</summary>
internal static class TinyRun
{
    /// <summary>
    /// Writes <c>train-images-idx3-ubyte</c> and <c>train-labels-idx1-ubyte</c> into <paramref name="folder"/>:
    /// <paramref name="classes"/> × <paramref name="perClass"/> seeded-noise 16×16 images, class c brightened by 60·c.
    /// Returns the images file (read directly, not through the packed cache).
    /// </summary>
    public static string IdxWithoutTestSplit(string folder, int classes = 3, int perClass = 10)
    {
        var rng = new Random(5);
        var n = classes * perClass;
        var labels = Enumerable.Range(0, n).Select(i => (byte)(i % classes)).ToArray();
        var pixels = Enumerable.Range(0, n).SelectMany(i => Enumerable.Range(0, 256).Select(_ => (byte)(60 * labels[i] + rng.Next(120)))).ToArray();
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "train-labels-idx1-ubyte"), IdxReaderTests.Idx(2049, [n], labels));
        var images = Path.Combine(folder, "train-images-idx3-ubyte");
        File.WriteAllBytes(images, IdxReaderTests.Idx(2051, [n, 16, 16], pixels));
        return images;
    }

    /// <summary>A run of one step of <paramref name="method"/> (simclr by default, with small heads) with <paramref name="encoder"/> (a width-4 convnet by default) on <paramref name="data"/>; returns the checkpoint path.</summary>
    public static string Pretrain(string data, string runDir, string method = "simclr", Dictionary<string, string>? methodOptions = null,
        string encoder = "convnet", int width = 4)
    {
        var config = new RunConfig
        {
            Method = method,
            Data = data,
            Encoder = encoder,
            Width = width,
            Epochs = 1,
            BatchSize = 8,
            MaxSteps = 1,
            Optimizer = OptimizerKind.Sgd,
            LearningRate = 0.1,
            CheckpointEvery = 0,
            Seed = 1,
            MethodOptions = methodOptions ?? new() { ["projection_hidden_dim"] = "16", ["projection_dim"] = "8" },
        };
        using var run = Pretraining.Create(config, runDir);
        return run.Trainer.Fit().LastCheckpoint!;
    }
}
