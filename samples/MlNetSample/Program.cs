using Microsoft.ML;
using SelfSup.MLNet;
using SelfSup.Runs;

// Usage: MlNetSample <checkpoint> [dataset, default fashion-mnist] [training images, default 3000]
// Frozen SelfSup features in an ML.NET pipeline: embed the images, then the linear probe of `selfsup eval`.
var ml = new MLContext(seed: 0);
var split = new EvalDataSettings { Data = args.Length > 1 ? args[1] : "fashion-mnist", TrainLimit = args.Length > 2 ? int.Parse(args[2]) : 3000, TestLimit = 2000 };
using var data = EvaluationData.Open(args[0], split); // the checkpoint and the seeded splits `selfsup eval` uses
var train = ImageDataViews.FromDataset(ml, data.Train); // columns Image (byte vector C·H·W) and Label
var test = ImageDataViews.FromDataset(ml, data.Test);
using var embed = ml.Transforms.SelfSupEmbed(args[0], outputColumnName: "Features", inputColumnName: "Image").Fit(train);
var probe = LinearProbePipeline.Create(ml, data.Train.Count).Fit(embed.Transform(train)); // normalise, key, LbfgsMaximumEntropy
var metrics = ml.MulticlassClassification.Evaluate(probe.Transform(embed.Transform(test)));
Console.WriteLine($"{embed.Shape.Dimension}-d SelfSup features, ML.NET linear probe on {data.Train.Count} images: test accuracy {100 * metrics.MicroAccuracy:F2} %");
