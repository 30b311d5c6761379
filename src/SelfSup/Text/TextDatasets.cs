using SelfSup.Data;

namespace SelfSup.Text;

/// <summary>
/// Opens a text corpus by name or path. An existing file or folder is the user's own text
/// (<see cref="TextFolderReader"/>). The named corpora come from Debian packages:
/// <c>fortunes</c> (package <c>fortunes</c>: 43 cookie files, each a category) and <c>wordnet</c> (package
/// <c>wordnet-base</c>: WordNet 3.0's glosses labelled by part of speech). A named corpus is looked for in a
/// <c>fortunes/</c> or <c>wordnet/</c> folder of the local data folders (env <c>SELFSUP_LOCAL_DATA</c>,
/// <c>shared/data</c>), then where the Debian package installs it; without either, a corpus cached earlier serves;
/// else the error names the package and its install command. Every parsed corpus is cached as JSON lines in the
/// datasets' cache folder (<see cref="TextCorpusCache"/>).
/// </summary>
public static class TextDatasets
{
    /// <summary>The named corpora.</summary>
    public static readonly IReadOnlyList<string> Names = ["fortunes", "wordnet"];

    sealed record Source(string Name, string Package, string DebianFolder, string Marker, Func<string, string, TextCorpus> Read);

    static readonly Source[] Sources =
    [
        new("fortunes", "fortunes", "/usr/share/games/fortunes", "fortunes", FortuneReader.ReadFolder),
        new("wordnet", "wordnet-base", "/usr/share/wordnet", "data.noun", WordNetReader.ReadFolder),
    ];

    const string ParserVersion = "v1";

    /// <summary>The corpus <paramref name="nameOrPath"/> names (a path, "fortunes", "wordnet"), cached in <see cref="PackedCache.DefaultDirectory"/>.</summary>
    public static TextCorpus Load(string nameOrPath) => Load(nameOrPath, PackedCache.DefaultDirectory());

    /// <summary>
    /// The corpus <paramref name="nameOrPath"/> names, cached in <paramref name="cacheDir"/>; <paramref name="localFolders"/>
    /// replaces the local data folders (tests), <paramref name="debianFolders"/> the packages' install folders by name.
    /// </summary>
    public static TextCorpus Load(string nameOrPath, string cacheDir, IProgress<string>? log = null,
        IReadOnlyList<string>? localFolders = null, IReadOnlyDictionary<string, string>? debianFolders = null)
    {
        if (File.Exists(nameOrPath) || Directory.Exists(nameOrPath))
        {
            var full = Path.GetFullPath(nameOrPath);
            var key = $"text|user|{PackedCache.SourceKey(full)}|{ParserVersion}";
            var label = "text-path-" + Path.GetFileName(Path.TrimEndingDirectorySeparator(full));
            return TextCorpusCache.GetOrCreate(TextCorpusCache.PathFor(cacheDir, label, key), key, () => TextFolderReader.Read(nameOrPath), log);
        }
        var source = Sources.FirstOrDefault(s => string.Equals(s.Name, nameOrPath.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw new FileNotFoundException(
                $"'{nameOrPath}': not a text corpus ({string.Join(", ", Names)}) and no such file or folder", nameOrPath);
        return LoadNamed(source, cacheDir, log, localFolders ?? LocalData.Folders(), debianFolders?.GetValueOrDefault(source.Name) ?? source.DebianFolder);
    }

    static TextCorpus LoadNamed(Source source, string cacheDir, IProgress<string>? log, IReadOnlyList<string> localFolders, string debianFolder)
    {
        var candidates = localFolders.Select(f => Path.Combine(f, source.Name)).Append(debianFolder);
        var folder = candidates.FirstOrDefault(f => File.Exists(Path.Combine(f, source.Marker)));
        var label = "text-" + source.Name;
        if (folder is null)
        {
            var cached = Directory.Exists(cacheDir)
                ? Directory.GetFiles(cacheDir, $"{label}-*{TextCorpusCache.Extension}").OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault()
                : null;
            if (cached is not null)
            {
                log?.Report($"{source.Name}: package {source.Package} not installed; reading the cached corpus {cached}");
                return TextCorpusCache.Read(cached).Corpus;
            }
            throw new FileNotFoundException(
                $"text corpus '{source.Name}': not found in {string.Join(", ", candidates)} nor in the cache {cacheDir}; " +
                $"install the Debian package {source.Package} (sudo apt-get install -y {source.Package}) " +
                $"or copy its files into a '{source.Name}' folder under SELFSUP_LOCAL_DATA");
        }
        var key = $"text|{source.Name}|{PackedCache.SourceKey(folder)}|{ParserVersion}";
        log?.Report($"{source.Name}: reading {folder}");
        return TextCorpusCache.GetOrCreate(TextCorpusCache.PathFor(cacheDir, label, key), key, () => source.Read(folder, source.Name), log);
    }
}
