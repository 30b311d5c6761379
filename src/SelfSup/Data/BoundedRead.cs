namespace SelfSup.Data;

/// <summary>
/// Reads a stream whose length is only declared (a gzip or zip entry): at most the declared length + 1 bytes, so a
/// decompression bomb or a lying size costs memory in proportion to the data really there, never to the claim.
/// </summary>
internal static class BoundedRead
{
    /// <summary>
    /// <paramref name="prefix"/> followed by the stream's bytes, stopping once the whole exceeds <paramref name="declared"/>
    /// bytes: a result shorter than declared means the stream ended early, one longer that it holds more.
    /// </summary>
    public static byte[] UpTo(Stream stream, long declared, ReadOnlySpan<byte> prefix = default)
    {
        using var ms = new MemoryStream();
        ms.Write(prefix);
        var buffer = new byte[81920];
        while (ms.Length <= declared)
        {
            var n = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, declared + 1 - ms.Length));
            if (n == 0) break;
            ms.Write(buffer, 0, n);
        }
        return ms.ToArray();
    }
}
