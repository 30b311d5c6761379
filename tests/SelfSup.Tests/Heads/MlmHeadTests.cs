using SelfSup.Heads;
using TorchSharp;
using static TorchSharp.torch;

namespace SelfSup.Tests.Heads;

public sealed class MlmHeadTests
{
    [Fact]
    public void Head_MapsStatesToVocabularyLogits()
    {
        using var head = new MlmHead(8, 30);
        using var logits = head.call(randn(2, 5, 8));
        Assert.Equal(new long[] { 2, 5, 30 }, logits.shape);
    }

    [Fact]
    public void TiedHead_UsesTheEmbeddingMatrix_AndOwnsOnlyItsBias()
    {
        using var embedding = nn.Embedding(30, 8);
        using var tied = new MlmHead(8, 30, () => embedding.weight!);
        Assert.DoesNotContain(tied.named_parameters(), p => p.name.StartsWith("decoder"));
        Assert.Equal(30 + 8 * 8 + 8 + 8 + 8, tied.parameters().Sum(p => p.numel())); // bias, transform, norm
        using var x = randn(3, 8);
        var loss = tied.call(x).pow(2).mean();
        loss.backward();
        Assert.True(embedding.weight!.grad is { } g && g.abs().sum().item<float>() > 0, "no gradient reached the tied embedding");
        // Changing the embedding changes the logits: the head reads the same tensor.
        using var before = tied.call(x).detach();
        using (no_grad()) embedding.weight!.add_(1f);
        using var after = tied.call(x);
        Assert.True((before - after).abs().max().item<float>() > 0);
    }
}
