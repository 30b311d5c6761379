using SelfSup.Text;

namespace SelfSup.Tests.Text;

public class CaptionPoolTests
{
    [Fact]
    public void Templates_ReplaceTheLabel_WithUnderscoresAsSpaces()
    {
        Assert.Equal("a blurry photo of a pickup truck.", CaptionTemplates.Apply("a blurry photo of a {label}.", "pickup_truck"));
        Assert.Equal(18, CaptionTemplates.Cifar10.Count);
        Assert.Equal(18, CaptionTemplates.Cifar10.Distinct().Count());
        Assert.Throws<ArgumentException>(() => CaptionTemplates.Apply("a photo.", "cat"));
    }

    [Fact]
    public void FromLabels_GivesEachRowItsClasssCaptions()
    {
        var pool = CaptionPool.FromLabels([1, 0, 1], ["cat", "dog"], ["a {label}.", "the {label}!"]);
        Assert.Equal(["a dog.", "the dog!"], pool[0]);
        Assert.Equal(["a cat.", "the cat!"], pool[1]);
        Assert.Equal(["a dog.", "the dog!", "a cat.", "the cat!"], pool.Distinct());
        Assert.Throws<ArgumentException>(() => CaptionPool.FromLabels([2], ["cat", "dog"], ["a {label}."]));
    }

    [Fact]
    public void Draw_IsReproducible_ChangesWithTheStep_AndCoversEveryTemplate()
    {
        var pool = CaptionPool.FromLabels([0], ["cat"], CaptionTemplates.Cifar10);
        Assert.Equal(pool.Draw(0, 5, 3), pool.Draw(0, 5, 3));
        var drawn = Enumerable.Range(0, 2000).Select(step => pool.Draw(0, step, 3)).ToList();
        // 2,000 uniform draws over 18 templates: every template appears, none more than twice its share.
        var counts = drawn.GroupBy(c => c).Select(g => g.Count()).ToList();
        Assert.Equal(18, counts.Count);
        Assert.True(counts.Max() < 2 * 2000 / 18, $"most frequent template drawn {counts.Max()} times");
    }
}
