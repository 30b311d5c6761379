namespace SelfSup.Text;

/// <summary>
/// Reads the glosses of WordNet's database files (<c>data.noun</c>, <c>data.verb</c>, <c>data.adj</c>,
/// <c>data.adv</c>; Miller 1995, "WordNet: a lexical database for English"; Debian's <c>wordnet-base</c>). Every line
/// that starts with a synset offset holds one synset, its gloss (definition and quoted examples) after <c> | </c>;
/// the licence lines at the top start with spaces. A gloss is labelled by its file's part of speech.
/// </summary>
public static class WordNetReader
{
    /// <summary>The data files, in label order.</summary>
    public static readonly IReadOnlyList<string> Files = ["data.noun", "data.verb", "data.adj", "data.adv"];

    /// <summary>The part-of-speech classes, indexed by label.</summary>
    public static readonly IReadOnlyList<string> Classes = ["noun", "verb", "adjective", "adverb"];

    const string GlossSeparator = " | ";

    /// <summary>
    /// The gloss of one data-file line, or null for a licence line; a synset line without a gloss is an error naming
    /// <paramref name="source"/> (file and line).
    /// </summary>
    public static string? Gloss(string line, string source)
    {
        if (line.Length == 0 || !char.IsAsciiDigit(line[0])) return null;
        var at = line.IndexOf(GlossSeparator, StringComparison.Ordinal);
        if (at < 0) throw new InvalidDataException($"{source}: synset line without a gloss; expected '<offset> … | <gloss>'");
        return line[(at + GlossSeparator.Length)..].Trim();
    }

    /// <summary>The glosses of the four data files in <paramref name="folder"/>, labelled noun, verb, adjective, adverb.</summary>
    public static TextCorpus ReadFolder(string folder, string? name = null)
    {
        var documents = new List<string>();
        var labels = new List<int>();
        for (var label = 0; label < Files.Count; label++)
        {
            var path = Path.Combine(folder, Files[label]);
            if (!File.Exists(path)) throw new FileNotFoundException($"{path}: WordNet data file not found; expected {string.Join(", ", Files)} in {folder}", path);
            var number = 0;
            foreach (var line in File.ReadLines(path))
            {
                number++;
                if (Gloss(line, $"{path} line {number}") is { Length: > 0 } gloss)
                {
                    documents.Add(gloss);
                    labels.Add(label);
                }
            }
        }
        return new TextCorpus(name ?? folder, documents, labels, Classes);
    }
}
