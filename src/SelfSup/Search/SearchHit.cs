namespace SelfSup.Search;

/// <summary>One neighbour of a query: its row <paramref name="Id"/> in the indexed split, label and file (null when unknown), and cosine similarity.</summary>
public sealed record SearchHit(long Id, int? Label, string? Path, float Score);

/// <summary>How <see cref="EmbeddingIndex.Search"/> finds neighbours.</summary>
public enum SearchEngine
{
    /// <summary>Exact cosine similarity in process: the whole index in memory, a matrix product per chunk (<see cref="ExactCosineSearch"/>).</summary>
    Exact,
    /// <summary>DuckDB over the Parquet file (<see cref="DuckDbCosineSearch"/>): the index is scanned, never held in memory whole.</summary>
    DuckDb,
}
