using SelfSup.Augment;
using SelfSup.Data;
using SelfSup.Methods;
using SelfSup.Text;
using SelfSup.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Evaluation;

/// <summary>Recall@k in both directions of image–text retrieval, in percent, keyed by k.</summary>
public sealed record ImageTextRecall(IReadOnlyDictionary<int, double> ImageToText, IReadOnlyDictionary<int, double> TextToImage);

/// <summary>
/// CLIP's zero-shot transfer (Radford et al. 2021 §3.1): classes become text, images are classified by the cosine
/// similarity of their embedding to each class's, and image–text pairs are retrieved both ways. The embeddings
/// functions work on any [N, E] embeddings; <see cref="Classify"/> and <see cref="Retrieve"/> run a trained
/// <see cref="Clip"/> on a dataset.
/// </summary>
public static class ZeroShot
{
    /// <summary>The k of the recall@k reported (the paper's Flickr30k / MSCOCO table: 1, 5, 10).</summary>
    public static readonly int[] RecallKs = [1, 5, 10];

    /// <summary>
    /// One embedding per class from its prompts' embeddings [C, P, E]: each prompt L2-normalised, averaged over the
    /// P prompts, and the mean renormalised (CLIP's prompt ensembling), [C, E].
    /// </summary>
    public static Tensor ClassEmbeddings(Tensor prompts)
    {
        if (prompts.dim() != 3) throw new ArgumentException($"zero-shot: prompt embeddings must be [C, P, E], got [{string.Join(", ", prompts.shape)}]");
        using var scope = NewDisposeScope();
        var mean = nn.functional.normalize(prompts, dim: 2).mean([1L]);          // [C, E]
        return nn.functional.normalize(mean, dim: 1).MoveToOuterDisposeScope();
    }

    /// <summary>The class of highest cosine similarity for each image embedding [N, E] against class embeddings [C, E], int64 [N].</summary>
    public static Tensor Predict(Tensor images, Tensor classes)
    {
        if (images.dim() != 2 || classes.dim() != 2 || images.shape[1] != classes.shape[1])
            throw new ArgumentException($"zero-shot: expected images [N, E] and classes [C, E], got [{string.Join(", ", images.shape)}] and [{string.Join(", ", classes.shape)}]");
        using var scope = NewDisposeScope();
        var cosines = nn.functional.normalize(images, dim: 1).matmul(nn.functional.normalize(classes, dim: 1).t()); // [N, C]
        return cosines.argmax(1).MoveToOuterDisposeScope();
    }

    /// <summary>Top-1 accuracy in percent of <see cref="Predict"/> against <paramref name="labels"/> [N].</summary>
    public static double Accuracy(Tensor images, Tensor classes, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var predicted = Predict(images, classes);
        return 100.0 * predicted.eq(labels.to(predicted.device)).to(ScalarType.Float64).mean().item<double>();
    }

    /// <summary>
    /// Recall@k of image embeddings [N, E] against text embeddings [M, E], where text j describes image
    /// <paramref name="textImage"/>[j] (an image may have several texts): image → text counts an image as found when
    /// any of its texts ranks in its top k; text → image counts a text as found when its image ranks in its top k.
    /// Cosine similarity; ties keep the lower index first.
    /// </summary>
    public static ImageTextRecall Recall(Tensor images, Tensor texts, IReadOnlyList<long> textImage, IReadOnlyList<int>? ks = null)
    {
        ks ??= RecallKs;
        var (n, m) = (images.shape[0], texts.shape[0]);
        if (images.dim() != 2 || texts.dim() != 2 || images.shape[1] != texts.shape[1])
            throw new ArgumentException($"zero-shot: expected images [N, E] and texts [M, E], got [{string.Join(", ", images.shape)}] and [{string.Join(", ", texts.shape)}]");
        if (textImage.Count != m) throw new ArgumentException($"zero-shot: {m} texts but {textImage.Count} text → image entries");
        if (textImage.Any(i => i < 0 || i >= n)) throw new ArgumentException($"zero-shot: a text names an image outside 0..{n - 1}");
        using var scope = NewDisposeScope();
        var similarity = nn.functional.normalize(images, dim: 1).matmul(nn.functional.normalize(texts, dim: 1).t()).cpu(); // [N, M]
        // Ranks by descending similarity, stable so ties keep index order.
        var imageRanks = similarity.sort(1, descending: true, stable: true).Indices.data<long>().ToArray();   // [N × M]
        var textRanks = similarity.t().contiguous().sort(1, descending: true, stable: true).Indices.data<long>().ToArray(); // [M × N]
        var imageToText = new Dictionary<int, double>();
        var textToImage = new Dictionary<int, double>();
        foreach (var k in ks)
        {
            if (k < 1) throw new ArgumentException($"zero-shot: recall@k needs k ≥ 1, got {k}");
            int foundImages = 0, foundTexts = 0;
            for (long i = 0; i < n; i++)
            {
                for (long r = 0; r < Math.Min(k, m); r++)
                    if (textImage[(int)imageRanks[i * m + r]] == i) { foundImages++; break; }
            }
            for (long j = 0; j < m; j++)
                for (long r = 0; r < Math.Min(k, n); r++)
                    if (textRanks[j * n + r] == textImage[(int)j]) { foundTexts++; break; }
            imageToText[k] = 100.0 * foundImages / n;
            textToImage[k] = 100.0 * foundTexts / m;
        }
        return new ImageTextRecall(imageToText, textToImage);
    }

    /// <summary>Zero-shot top-1 accuracy (%) of a trained CLIP on a labelled dataset: every template on every class name, ensembled.</summary>
    public static double Classify(Clip clip, ImageDataset test, ChannelStats stats, Device device, IReadOnlyList<string> templates)
    {
        var labels = test.Labels ?? throw new ArgumentException($"zero-shot: dataset '{test.Name}' has no labels to classify");
        using var images = EmbedImages(clip, test, stats, device);               // [N, E]
        using var classes = EmbedClasses(clip, test.ClassNames, templates, device); // [C, E]
        using var y = tensor(labels, ScalarType.Int64);
        return Accuracy(images, classes, y);
    }

    /// <summary>Image → text and text → image recall@k of a trained CLIP on held-out image–caption pairs.</summary>
    public static ImageTextRecall Retrieve(Clip clip, CaptionedImages pairs, ChannelStats stats, Device device)
    {
        using var images = EmbedImages(clip, pairs.Images, stats, device);      // [N, E]
        var texts = pairs.Captions.SelectMany(c => c).ToList();
        var owner = pairs.Captions.SelectMany((c, i) => c.Select(_ => (long)i)).ToList();
        using var textEmbeddings = EmbedTexts(clip, texts, device);             // [M, E]
        return Recall(images, textEmbeddings, owner);
    }

    /// <summary>The class embeddings [C, E] of a trained CLIP: each class's prompts embedded and ensembled.</summary>
    public static Tensor EmbedClasses(Clip clip, IReadOnlyList<string> classNames, IReadOnlyList<string> templates, Device device)
    {
        var prompts = classNames.SelectMany(c => CaptionTemplates.For(c, templates)).ToList();
        using var flat = EmbedTexts(clip, prompts, device);                     // [C·P, E]
        using var grouped = flat.view(classNames.Count, templates.Count, -1);   // [C, P, E]
        return ClassEmbeddings(grouped);
    }

    static Tensor EmbedImages(Clip clip, ImageDataset data, ChannelStats stats, Device device)
    {
        using var features = Features.Extract(clip.Encoder, data, stats, device); // [N, D]
        using var modes = new TrainingModeSnapshot(clip);
        clip.eval();
        using var noGrad = no_grad();
        return clip.ProjectImageFeatures(features.to(device)).cpu();             // [N, E]
    }

    static Tensor EmbedTexts(Clip clip, IReadOnlyList<string> texts, Device device, int batchSize = 256)
    {
        using var modes = new TrainingModeSnapshot(clip);
        clip.eval();
        using var noGrad = no_grad();
        var parts = new List<Tensor>();
        try
        {
            for (int start = 0; start < texts.Count; start += batchSize)
                parts.Add(clip.EmbedTexts(texts.Skip(start).Take(batchSize).ToList(), device).cpu()); // [b, E]
            return cat(parts, 0);                                                // [M, E]
        }
        finally
        {
            foreach (var p in parts) p.Dispose();
        }
    }
}
