using System.IO.Compression;
using System.Security.Cryptography;

namespace SelfSup.Data;

/// <summary>
/// What a prepared file may hash to. A file is accepted when any given hash matches: the sha256 of its bytes,
/// the sha256 of its content after gunzip (so a recompressed or uncompressed copy of the same data passes),
/// or the md5 that the dataset's authors publish for their download.
/// </summary>
public sealed record ExpectedHash(string? Sha256 = null, string? ContentSha256 = null, string? Md5 = null);

/// <summary>Hashes files and checks them against <see cref="ExpectedHash"/>; a mismatch is an error, never a retry.</summary>
public static class Checksums
{
    public static string Sha256(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }

    public static string Md5(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(MD5.HashData(s));
    }

    /// <summary>sha256 of the file's content, gunzipped first when the name ends in .gz.</summary>
    public static string ContentSha256(string path)
    {
        if (!path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) return Sha256(path);
        using var s = File.OpenRead(path);
        using var gz = new GZipStream(s, CompressionMode.Decompress);
        return Convert.ToHexStringLower(SHA256.HashData(gz));
    }

    /// <summary>Throws <see cref="InvalidDataException"/> naming the file, the expected and the found hashes unless one matches.</summary>
    public static void Verify(string path, ExpectedHash expected)
    {
        var found = new List<string>();
        var wanted = new List<string>();
        if (expected.Sha256 is { } sha)
        {
            var h = Sha256(path);
            if (Eq(h, sha)) return;
            found.Add("sha256 " + h);
            wanted.Add("sha256 " + sha);
        }
        if (expected.ContentSha256 is { } csha)
        {
            var h = ContentSha256(path);
            if (Eq(h, csha)) return;
            found.Add("content sha256 " + h);
            wanted.Add("content sha256 " + csha);
        }
        if (expected.Md5 is { } md5)
        {
            var h = Md5(path);
            if (Eq(h, md5)) return;
            found.Add("md5 " + h);
            wanted.Add("md5 " + md5);
        }
        if (wanted.Count == 0) throw new ArgumentException($"{path}: no expected hash given");
        throw new InvalidDataException(
            $"{path}: checksum mismatch: expected {string.Join(" or ", wanted)}, found {string.Join(", ", found)}. " +
            "The file is damaged or a different version; delete it (or replace it with the official file) and try again.");
    }

    static bool Eq(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
}
