namespace SelfSup.Augment;

/// <summary>
/// The permutation set of a jigsaw puzzle task (Noroozi and Favaro 2016, "Unsupervised Learning of Visual
/// Representations by Solving Jigsaw Puzzles", Algorithm 1, the "maximal" variant): starting from one permutation
/// drawn at random, each next one is the remaining permutation of the tiles with the largest total Hamming distance to
/// those already chosen, so the classes the network tells apart are as different as possible.
/// </summary>
public static class JigsawPermutations
{
    /// <summary>
    /// <paramref name="count"/> distinct permutations of 0 … <paramref name="tiles"/> − 1 (9 for a 3 × 3 puzzle, the paper's
    /// P = 100 by default in a task), chosen greedily as above; the first is drawn with <paramref name="seed"/>, ties go to
    /// the first permutation in lexicographic order.
    /// </summary>
    public static int[][] Maximal(int count, int tiles = 9, int seed = 0)
    {
        if (tiles is < 2 or > 9) throw new ArgumentException($"jigsaw permutations: tiles must be in 2…9, got {tiles}");
        var all = All(tiles);
        if (count < 1 || count > all.Count) throw new ArgumentException($"jigsaw permutations: count must be in 1…{all.Count} for {tiles} tiles, got {count}");
        var total = new int[all.Count];      // Σ Hamming distance to the chosen permutations
        var taken = new bool[all.Count];
        var chosen = new List<int[]>(count);
        var next = new Random(seed).Next(all.Count);
        while (true)
        {
            taken[next] = true;
            chosen.Add(all[next]);
            if (chosen.Count == count) return chosen.ToArray();
            var latest = all[next];
            var best = -1;
            for (int k = 0; k < all.Count; k++)
            {
                if (taken[k]) continue;
                total[k] += Hamming(all[k], latest);
                if (best < 0 || total[k] > total[best]) best = k;
            }
            next = best;
        }
    }

    /// <summary>The number of positions at which two permutations of the same length differ.</summary>
    public static int Hamming(IReadOnlyList<int> a, IReadOnlyList<int> b)
    {
        if (a.Count != b.Count) throw new ArgumentException($"jigsaw permutations: lengths differ ({a.Count} and {b.Count})");
        var d = 0;
        for (int i = 0; i < a.Count; i++) if (a[i] != b[i]) d++;
        return d;
    }

    /// <summary>Every permutation of 0 … n − 1 in lexicographic order.</summary>
    static List<int[]> All(int n)
    {
        var result = new List<int[]>();
        var p = Enumerable.Range(0, n).ToArray();
        while (true)
        {
            result.Add((int[])p.Clone());
            var i = n - 2;
            while (i >= 0 && p[i] > p[i + 1]) i--;
            if (i < 0) return result;
            var j = n - 1;
            while (p[j] < p[i]) j--;
            (p[i], p[j]) = (p[j], p[i]);
            Array.Reverse(p, i + 1, n - i - 1);
        }
    }
}
