using SelfSup.Text;

namespace SelfSup.Tests.Text;

public class TextSplitTests
{
    static TextCorpus Labelled()
    {
        // class 0: 10 documents, class 1: 5, class 2: 1
        var labels = Enumerable.Repeat(0, 10).Concat(Enumerable.Repeat(1, 5)).Append(2).ToArray();
        return new TextCorpus("c", labels.Select((l, i) => $"doc {i} of {l}").ToArray(), labels, ["a", "b", "c"]);
    }

    [Fact]
    public void HoldOut_TakesTheShareOfEveryCategory_AndPartitionsTheCorpus()
    {
        var corpus = Labelled();
        var (train, test) = TextSplit.HoldOut(corpus, 0.2, seed: 1);
        // 20 % of 10 = 2, of 5 = 1, of 1 = 0 (a single document stays in train).
        Assert.Equal([0, 0, 1], test.Labels!);
        Assert.Equal(13, train.Count);
        Assert.Empty(train.Documents.Intersect(test.Documents));
        Assert.Equal(corpus.Documents.Order(), train.Documents.Concat(test.Documents).Order());
        Assert.Equal(corpus.Classes, test.Classes);
        Assert.Equal("c-test", test.Name);
        // Labels travel with their documents.
        Assert.All(test.Documents.Zip(test.Labels!), p => Assert.EndsWith($"of {p.Second}", p.First));
    }

    [Fact]
    public void HoldOut_DependsOnlyOnTheSeed()
    {
        var corpus = Labelled();
        Assert.Equal(TextSplit.HoldOut(corpus, 0.3, 7).Test.Documents, TextSplit.HoldOut(corpus, 0.3, 7).Test.Documents);
        var seeds = Enumerable.Range(0, 10).Select(s => string.Join("|", TextSplit.HoldOut(corpus, 0.3, s).Test.Documents)).Distinct();
        Assert.True(seeds.Count() > 1);
    }

    [Fact]
    public void HoldOut_WithoutLabels_TakesTheShareOfAll()
    {
        var corpus = new TextCorpus("u", Enumerable.Range(0, 20).Select(i => $"d{i}").ToArray(), null, []);
        var (train, test) = TextSplit.HoldOut(corpus, 0.25, 0);
        Assert.Equal(5, test.Count);
        Assert.Equal(15, train.Count);
        Assert.Null(test.Labels);
    }
}
