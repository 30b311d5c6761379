using SelfSup.Data;
using SelfSup.Evaluation;
using SelfSup.Runs;
using static TorchSharp.torch;

// Usage: EmbedSample <checkpoint> [dataset, default mnist] [images per split, default 2000]
using var trained = TrainedEncoder.Load(args[0]); // the encoder, its config and its normalisation
var options = new DatasetOptions { ImageSize = trained.Config.ImageSize, Channels = trained.Config.Channels };
var limit = args.Length > 2 ? int.Parse(args[2]) : 2000;
using var train = Pretraining.LimitTo(Datasets.Load(args.Length > 1 ? args[1] : "mnist", "train", options), limit, seed: 0);
using var test = Pretraining.LimitTo(Datasets.Load(args.Length > 1 ? args[1] : "mnist", "test", options), limit, seed: 0);
using var zTrain = Features.Extract(trained.Encoder, train, trained.Stats, CPU); // [N, D], eval mode, no grad
using var zTest = Features.Extract(trained.Encoder, test, trained.Stats, CPU);
var knn = Knn.Evaluate(zTrain, train.Labels!, zTest, test.Labels!, train.NumClasses, k: 20);
Console.WriteLine($"{zTrain.shape[0]} x {zTrain.shape[1]} embeddings; k-NN (k = 20) top-1 {knn.Top1:F2} %");
