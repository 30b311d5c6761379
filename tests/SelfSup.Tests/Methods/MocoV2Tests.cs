using SelfSup.Data;
using SelfSup.Methods;
using SelfSup.Runs;
using SelfSup.Tests.Runs;
using SelfSup.Tests.TestSupport;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Methods;

[Collection(GlobalRngCollection.Name)]
public class MocoV2Tests
{
    static MocoV2 Make(MocoV2Options? options = null)
    {
        manual_seed(0);
        return new MocoV2(new TinyEncoder(channels: 3), () => new TinyEncoder(channels: 3),
            options ?? new MocoV2Options { QueueSize = 10, ProjectionHiddenDim = 16, ProjectionDim = 8, ShuffleBnSubBatch = 2 });
    }

    static (Tensor, Tensor) Views(int seed, int batch = 4)
    {
        var g = new Generator((ulong)seed);
        return (randn([batch, 3, 8, 8], generator: g), randn([batch, 3, 8, 8], generator: g));
    }

    [Fact]
    public void AStep_EnqueuesTheBatchsNormalisedKeys_AtThePointer_AndWrapsAround()
    {
        using var moco = Make();
        moco.train();
        Assert.Equal(10, moco.Queue.Count); // starts full of random unit keys
        var (q, k) = Views(1);
        moco.TrainingStep(new TrainingBatch([q, k], arange(4L)), StepContext.Single(step: 0)).Loss.Dispose();
        Assert.Equal(4, moco.Queue.Pointer);
        // The keys the step enqueued are the key encoder's projections of the key view.
        using var expected = nn.functional.normalize(moco.Keys(k, step: 0), dim: 1);
        using var written = moco.Queue.Features.narrow(0, 0, 4);
        Assert.True(expected.allclose(written, 1e-5, 1e-6));
        for (int step = 1; step < 3; step++)
        {
            var (q2, k2) = Views(10 + step);
            moco.TrainingStep(new TrainingBatch([q2, k2], arange(4L)), StepContext.Single(step: step)).Loss.Dispose();
        }
        Assert.Equal(2, moco.Queue.Pointer); // 12 keys into 10 slots: the third batch wrapped over slots 8, 9, 0, 1
        Assert.Equal(10, moco.Queue.Count);
    }

    [Fact]
    public void Gradients_ReachTheQueryEncoder_AndNeverTheKeyEncoder()
    {
        using var moco = Make();
        moco.train();
        var (q, k) = Views(2);
        var result = moco.TrainingStep(new TrainingBatch([q, k], arange(4L)), StepContext.Single());
        result.Loss.backward();
        foreach (var (name, p) in moco.named_parameters())
        {
            if (name.StartsWith("key_", StringComparison.Ordinal)) Assert.Null(p.grad);
            else Assert.True(p.grad is { } g && g.abs().sum().item<float>() > 0, $"no gradient reached {name}");
        }
        Assert.InRange(result.Scalars["contrastive_top1"].item<float>(), 0f, 1f);
    }

    [Fact]
    public void TheKeyEncoder_MovesByOneMinusMomentum_TowardsTheQueryEncoder()
    {
        using var moco = Make(new MocoV2Options { QueueSize = 10, ProjectionHiddenDim = 16, ProjectionDim = 8, Momentum = 0.9 });
        using var noGrad = no_grad();
        var query = moco.Encoder.parameters().First();
        var key = moco.KeyEncoder.parameters().First();
        using var before = key.clone();
        query.add_(1.0f);
        moco.AfterOptimizerStep(StepContext.Single());
        // key ← 0.9 · key + 0.1 · (key + 1) = key + 0.1, the two starting equal.
        Assert.True((key - before).allclose(full_like(key, 0.1f), 1e-5, 1e-6));
    }

    [Fact]
    public void ACheckpoint_RestoresTheQueueAndItsPointerExactly()
    {
        using var moco = Make();
        moco.train();
        var (q, k) = Views(3);
        moco.TrainingStep(new TrainingBatch([q, k], arange(4L)), StepContext.Single()).Loss.Dispose();
        var path = Path.Combine(Path.GetTempPath(), $"moco-{Guid.NewGuid():N}.ckpt");
        try
        {
            Checkpoint.Save(path, moco, null, new CheckpointState { Config = new RunConfig() });
            manual_seed(99); // a different random queue before loading
            using var restored = new MocoV2(new TinyEncoder(channels: 3), () => new TinyEncoder(channels: 3), moco.Options);
            Assert.Equal(0, restored.Queue.Pointer);
            Checkpoint.Load(path, restored, null);
            Assert.Equal(moco.Queue.Pointer, restored.Queue.Pointer);
            using var a = moco.Queue.Features; using var b = restored.Queue.Features;
            Assert.True(a.allclose(b, 0, 0));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void AResumedRun_RepeatsTheUninterruptedLosses_WithAQueueThatWrapped()
    {
        var root = Directory.CreateTempSubdirectory("selfsup-moco-").FullName;
        using var data = SyntheticData.Random(40, channels: 1, size: 16);
        try
        {
            var whole = Losses(data, Path.Combine(root, "whole"), null, false);
            var part = Path.Combine(root, "part");
            Losses(data, part, 4, false);
            var resumed = Losses(data, part, null, true);
            Assert.Equal(10, whole.Count);
            foreach (var (step, loss) in whole) Assert.Equal(loss, resumed[step], 5);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    static Dictionary<long, double> Losses(ImageDataset data, string runDir, long? maxSteps, bool resume)
    {
        var config = new RunConfig
        {
            Method = "moco-v2", Data = "synthetic", Encoder = "convnet", Width = 4, ImageSize = 16, Channels = 1,
            Epochs = 2, BatchSize = 8, Optimizer = OptimizerKind.Sgd, LearningRate = 0.05, WeightDecay = 1e-4, Seed = 5,
            CheckpointEvery = 0, MonitorEvery = 0, MaxSteps = maxSteps, TrainImages = data.Count,
            NormalizeMean = [0.5f], NormalizeStd = [0.25f],
            // 12 slots for 8 keys a step: the queue wraps before the interruption.
            MethodOptions = new() { ["queue_size"] = "12", ["shuffle_bn_sub_batch"] = "4" },
        };
        var (method, views) = Pretraining.BuildMethod(config);
        using var _m = method;
        var trainer = new Trainer(method, views, new DataLoader(data, config.BatchSize, (int)config.Seed), config, runDir);
        trainer.Fit(resume);
        return TrainerTests.StepLosses(trainer.MetricsPath);
    }
}
