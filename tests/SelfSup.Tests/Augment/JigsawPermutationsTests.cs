using SelfSup.Augment;

namespace SelfSup.Tests.Augment;

public class JigsawPermutationsTests
{
    [Fact]
    public void Hundred_AreDistinctPermutationsOfNineTiles()
    {
        var set = JigsawPermutations.Maximal(100);
        Assert.Equal(100, set.Length);
        foreach (var p in set) Assert.Equal(Enumerable.Range(0, 9), p.OrderBy(v => v));
        Assert.Equal(100, set.Select(p => string.Join(",", p)).Distinct().Count());
    }

    [Fact]
    public void SecondPick_DiffersFromTheFirstInEveryPosition()
    {
        var set = JigsawPermutations.Maximal(2, seed: 3);
        Assert.Equal(9, JigsawPermutations.Hamming(set[0], set[1]));
    }

    [Fact]
    public void ThreeTiles_AllSixComeBack()
    {
        var set = JigsawPermutations.Maximal(6, tiles: 3);
        Assert.Equal(6, set.Select(p => string.Join(",", p)).Distinct().Count());
    }

    [Fact]
    public void ChosenSet_IsFartherApartThanARandomOne()
    {
        static double MeanDistance(int[][] s)
        {
            double sum = 0; int pairs = 0;
            for (int i = 0; i < s.Length; i++)
                for (int j = i + 1; j < s.Length; j++) { sum += JigsawPermutations.Hamming(s[i], s[j]); pairs++; }
            return sum / pairs;
        }
        var maximal = JigsawPermutations.Maximal(100);
        var rng = new Random(1);
        var random = Enumerable.Range(0, 100).Select(_ => Enumerable.Range(0, 9).OrderBy(_ => rng.Next()).ToArray()).ToArray();
        // Two random permutations of 9 differ in 8 positions on average (9 minus the expected fixed points, 1).
        Assert.InRange(MeanDistance(random), 7.7, 8.3);
        // Greedy on the total distance raises the mean above a random set's (8.08 against 8.00 here); a greedy that
        // picked the nearest permutations instead would fall far below it.
        Assert.True(MeanDistance(maximal) > MeanDistance(random) + 0.05, $"maximal {MeanDistance(maximal):F3} vs random {MeanDistance(random):F3}");
        Assert.True(Enumerable.Range(0, 100).All(i => Enumerable.Range(0, 100).All(j => i == j || JigsawPermutations.Hamming(maximal[i], maximal[j]) >= 2)));
    }

    [Fact]
    public void SameSeed_SameSet_AndBadArgumentsAreRefused()
    {
        Assert.Equal(JigsawPermutations.Maximal(10, seed: 5), JigsawPermutations.Maximal(10, seed: 5));
        Assert.Throws<ArgumentException>(() => JigsawPermutations.Maximal(7, tiles: 3));
        Assert.Throws<ArgumentException>(() => JigsawPermutations.Maximal(5, tiles: 10));
        Assert.Throws<ArgumentException>(() => JigsawPermutations.Hamming([0, 1], [0, 1, 2]));
    }
}
