using Microsoft.ML;
using Microsoft.ML.Data;
using SelfSup.Data;
using SelfSup.Evaluation;
using SelfSup.MLNet;
using SelfSup.Runs;
using SelfSup.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace SelfSup.Tests.MLNet;

/// <summary>A SimCLR checkpoint briefly pretrained on 2,048 Fashion-MNIST images (8 steps, a few seconds).</summary>
public sealed class FashionMnistCheckpoint : IDisposable
{
    readonly string runDir = Directory.CreateTempSubdirectory("selfsup-mlnet-").FullName;

    public FashionMnistCheckpoint()
    {
        var config = new RunConfig
        {
            Method = "simclr",
            Data = "fashion-mnist",
            Encoder = "convnet",
            Width = 8,
            DataLimit = 2048,
            Epochs = 1,
            BatchSize = 256,
            CheckpointEvery = 0,
            MonitorEvery = 0,
            Seed = 1,
            MethodOptions = new() { ["projection_hidden_dim"] = "64", ["projection_dim"] = "32" },
        };
        using var run = Pretraining.Create(config, runDir);
        Path = run.Trainer.Fit().LastCheckpoint!;
    }

    public string Path { get; }

    public void Dispose() => Directory.Delete(runDir, recursive: true);
}

public class SelfSupEmbeddingTests(FashionMnistCheckpoint checkpoint, ITestOutputHelper output) : IClassFixture<FashionMnistCheckpoint>
{
    static ImageDataset FashionMnistTest(TrainedEncoder trained, int count) =>
        Pretraining.LimitTo(Datasets.Load("fashion-mnist", "test",
            new DatasetOptions { ImageSize = trained.Config.ImageSize, Channels = trained.Config.Channels }), count, seed: 4);

    static float[][] Column(IDataView view, string name) => view.GetColumn<float[]>(name).ToArray();

    [Fact]
    public void Embedding_column_holds_the_features_selfsup_eval_extracts_row_by_row()
    {
        var ml = new MLContext(seed: 0);
        using var trained = TrainedEncoder.Load(checkpoint.Path);
        using var data = FashionMnistTest(trained, 600);
        using var expected = Features.Extract(trained.Encoder, data, trained.Stats, CPU); // [600, D]
        // Batches of 256: two full batches and a partial one, read in the input's order.
        using var transformer = ml.Transforms.SelfSupEmbed(checkpoint.Path, batchSize: 256).Fit(ImageDataViews.FromDataset(ml, data));
        var rows = Column(transformer.Transform(ImageDataViews.FromDataset(ml, data)), "Features");

        Assert.Equal(600, rows.Length);
        Assert.All(rows, r => Assert.Equal(expected.shape[1], r.Length));
        using var actual = tensor(rows.SelectMany(r => r).ToArray(), [600, expected.shape[1]]);
        var gap = actual.sub(expected).abs().max().item<float>();
        Assert.True(gap < 1e-4f, $"ML.NET embedding differs from Features.Extract by up to {gap}");
        Assert.True(expected.std().item<float>() > 1e-3f, "the features are constant; the comparison would prove nothing");
    }

    [Fact]
    public void Float_pixels_give_the_embedding_of_the_same_byte_pixels()
    {
        var ml = new MLContext(seed: 0);
        using var trained = TrainedEncoder.Load(checkpoint.Path);
        using var data = FashionMnistTest(trained, 64);
        var bytes = ImageDataViews.FromDataset(ml, data);
        var floats = ml.Transforms.Conversion.ConvertType("Pixels", "Image", DataKind.Single).Fit(bytes).Transform(bytes);
        using var fromBytes = ml.Transforms.SelfSupEmbed(checkpoint.Path).Fit(bytes);
        using var fromFloats = ml.Transforms.SelfSupEmbed(checkpoint.Path, inputColumnName: "Pixels").Fit(floats);

        var a = Column(fromBytes.Transform(bytes), "Features");
        var b = Column(fromFloats.Transform(floats), "Features");
        Assert.Equal(a.Length, b.Length);
        for (var i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i]);
    }

    [Fact]
    public void Output_schema_appends_a_known_size_float_vector_of_the_embedding_width()
    {
        var ml = new MLContext(seed: 0);
        using var trained = TrainedEncoder.Load(checkpoint.Path);
        using var data = FashionMnistTest(trained, 8);
        var view = ImageDataViews.FromDataset(ml, data);
        var estimator = ml.Transforms.SelfSupEmbed(checkpoint.Path, outputColumnName: "Z");
        using var transformer = estimator.Fit(view);
        var column = transformer.GetOutputSchema(view.Schema)["Z"];

        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, (int)trained.Encoder.EmbeddingDim), column.Type);
        Assert.Equal(new EmbeddingShape(1, 28, 28, (int)trained.Encoder.EmbeddingDim), estimator.Shape);
        var shape = estimator.GetOutputSchema(SchemaShapeOf(view));
        Assert.Contains(shape, c => c.Name == "Z" && c.Kind == SchemaShape.Column.VectorKind.Vector && c.ItemType == NumberDataViewType.Single);
        Assert.Contains(shape, c => c.Name == "Label");
    }

    /// <summary>The shape of a data view's schema, as ML.NET's own pipelines make it (SchemaShape.Create is internal).</summary>
    static SchemaShape SchemaShapeOf(IDataView view) =>
        (SchemaShape)typeof(SchemaShape).GetMethod("Create", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
            .Invoke(null, [view.Schema])!;

    [Fact]
    public void Image_column_of_the_wrong_size_is_an_error_naming_the_column_and_the_expected_size()
    {
        var ml = new MLContext(seed: 0);
        var rows = new[] { new SmallRow { Pixels = new byte[100] } };
        var view = ml.Data.LoadFromEnumerable(rows);
        var error = Assert.Throws<ArgumentException>(() => ml.Transforms.SelfSupEmbed(checkpoint.Path, inputColumnName: "Pixels").Fit(view));
        Assert.Contains("'Pixels'", error.Message);
        Assert.Contains("784", error.Message);
        var missing = Assert.Throws<ArgumentException>(() => ml.Transforms.SelfSupEmbed(checkpoint.Path).Fit(view));
        Assert.Contains("'Image' not found", missing.Message);
    }

    public sealed class SmallRow
    {
        [VectorType(100)] public byte[] Pixels { get; set; } = [];
    }

    [Fact]
    public void Mlnet_linear_probe_on_the_embeddings_matches_selfsup_eval_within_one_point()
    {
        // selfsup eval --checkpoint ... --data fashion-mnist --train-limit 3000 (with 2,000 test images): the same
        // seeded splits feed both probes.
        var split = new EvalDataSettings { Data = "fashion-mnist", TrainLimit = 3000, TestLimit = 2000 };
        var eval = CheckpointEvaluation.Run(checkpoint.Path, new EvalSettings { Data = split, RawPixelTrainImages = 500 });

        var ml = new MLContext(seed: 0);
        using var data = EvaluationData.Open(checkpoint.Path, split);
        var train = ImageDataViews.FromDataset(ml, data.Train);
        var test = ImageDataViews.FromDataset(ml, data.Test);
        using var embed = ml.Transforms.SelfSupEmbed(checkpoint.Path).Fit(train);
        var probe = LinearProbePipeline.Create(ml, data.Train.Count).Fit(embed.Transform(train));
        var metrics = ml.MulticlassClassification.Evaluate(probe.Transform(embed.Transform(test)));
        var mlnet = 100 * metrics.MicroAccuracy;

        output.WriteLine($"fashion-mnist, {data.Train.Count} train / {data.Test.Count} test images, D = {embed.Shape.Dimension}: " +
            $"selfsup eval linear {eval.LinearTop1:F2} %, ML.NET LbfgsMaximumEntropy {mlnet:F2} %");
        Assert.Equal(3000, data.Train.Count);
        Assert.Equal(2000, eval.EvalTestImages);
        Assert.True(eval.LinearTop1 > 30, $"selfsup eval's probe reaches only {eval.LinearTop1:F2} %; the comparison needs features that carry the classes");
        Assert.True(Math.Abs(mlnet - eval.LinearTop1) <= 1.0,
            $"ML.NET probe {mlnet:F2} % is more than 1 point from selfsup eval's {eval.LinearTop1:F2} %");
    }
}
