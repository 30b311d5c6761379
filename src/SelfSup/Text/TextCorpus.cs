namespace SelfSup.Text;

/// <summary>
/// A corpus of documents in memory, with a category per document where the source has one (a fortune's cookie
/// file, a folder's subfolder), for the downstream probe of a text encoder.
/// </summary>
/// <param name="Name">Where it came from, for messages and reports (e.g. "fortunes", a path).</param>
/// <param name="Documents">The documents' text, in a fixed order.</param>
/// <param name="Labels">The category index of each document; null where the source has none.</param>
/// <param name="Classes">The category names, indexed by label; empty where the source has none.</param>
public sealed record TextCorpus(string Name, IReadOnlyList<string> Documents, IReadOnlyList<int>? Labels, IReadOnlyList<string> Classes)
{
    public int Count => Documents.Count;
}
