using SelfSup.Evaluation;
using static TorchSharp.torch;

namespace SelfSup.Tests.Evaluation;

public class ZeroShotTests
{
    static Tensor Rows(params float[][] rows) => tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length]);

    [Fact]
    public void ClassEmbeddings_NormaliseEachPrompt_Average_AndRenormalise()
    {
        // Class 0: (2, 0) and (0, 1) → unit (1, 0), (0, 1) → mean (½, ½) → (0.7071, 0.7071). Class 1: (0, −3), (0, −1) → (0, −1).
        using var prompts = tensor(new float[] { 2, 0, 0, 1, 0, -3, 0, -1 }, [2, 2, 2]);
        using var classes = ZeroShot.ClassEmbeddings(prompts);
        Assert.Equal(new[] { 0.70710677f, 0.70710677f, 0f, -1f }, classes.data<float>().ToArray());
    }

    [Fact]
    public void Accuracy_IsTheShareOfImagesNearestToTheirClass()
    {
        using var classes = Rows([0.7071f, 0.7071f], [0, -1]);
        // (1, 1) → class 0; (1, −2): cos −0.32 vs 0.89 → class 1; (−1, 0): cos −0.71 vs 0 → class 1.
        using var images = Rows([1, 1], [1, -2], [-1, 0]);
        using var predicted = ZeroShot.Predict(images, classes);
        Assert.Equal(new long[] { 0, 1, 1 }, predicted.data<long>().ToArray());
        using var labels = tensor(new long[] { 0, 1, 0 });
        Assert.Equal(200.0 / 3, ZeroShot.Accuracy(images, classes, labels), 6);
    }

    [Fact]
    public void Recall_CountsAnyOwnTextForImages_AndTheOwnImageForTexts()
    {
        using var images = Rows([1, 0], [1, 0.2f], [-1, 0]);
        using var texts = Rows([1, 0.1f], [0.1f, 1], [1, -0.3f], [-1, 0.2f]);
        long[] owner = [0, 1, 2, 2];
        var r = ZeroShot.Recall(images, texts, owner, [1, 2, 3]);
        // Image → text: image 0 ranks T0 first; image 1 ranks T0, T2, then its own T1; image 2 ranks its own T3 first.
        Assert.Equal(200.0 / 3, r.ImageToText[1], 6);
        Assert.Equal(200.0 / 3, r.ImageToText[2], 6);
        Assert.Equal(100.0, r.ImageToText[3], 6);
        // Text → image: T0 ranks image 1 (0.99523) just above its own image 0 (0.99504); T1 and T3 find theirs first;
        // T2 (1, −0.3) ranks its own image 2 last.
        Assert.Equal(50.0, r.TextToImage[1], 6);
        Assert.Equal(75.0, r.TextToImage[2], 6);
        Assert.Equal(100.0, r.TextToImage[3], 6);
    }

    [Fact]
    public void Recall_WithMismatchedOwners_IsAClearError()
    {
        using var images = Rows([1, 0]);
        using var texts = Rows([1, 0], [0, 1]);
        var e = Assert.Throws<ArgumentException>(() => ZeroShot.Recall(images, texts, [0]));
        Assert.Contains("2 texts", e.Message);
        Assert.Throws<ArgumentException>(() => ZeroShot.Recall(images, texts, [0, 1]));
    }
}
