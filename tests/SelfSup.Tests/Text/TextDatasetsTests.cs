using SelfSup.Tests.Data;
using SelfSup.Text;

namespace SelfSup.Tests.Text;

/// <summary>The named corpora read the Debian packages that scripts/setup-test-data.sh installs.</summary>
public class TextDatasetsTests
{
    static readonly Dictionary<string, string> NoPackages = new() { ["fortunes"] = "/nonexistent/fortunes", ["wordnet"] = "/nonexistent/wordnet" };

    [Fact]
    public void Fortunes_FromTheDebianPackage_HaveThousandsOfDocumentsInManyCategories()
    {
        using var cache = new TempDir();
        var corpus = TextDatasets.Load("fortunes", cache.Path, localFolders: []);
        Assert.True(corpus.Count > 1000, $"{corpus.Count} fortunes");
        Assert.True(corpus.Classes.Count > 5, $"{corpus.Classes.Count} categories");
        Assert.Contains("science", corpus.Classes);
        Assert.Equal(corpus.Count, corpus.Labels!.Count);
        Assert.Equal(Enumerable.Range(0, corpus.Classes.Count), corpus.Labels.Distinct().Order());
        Assert.DoesNotContain(corpus.Documents, d => d.Split('\n').Contains("%"));

        // The second load reads the cache and gives the same corpus.
        Assert.Single(Directory.GetFiles(cache.Path, "text-fortunes-*.jsonl"));
        var again = TextDatasets.Load("FORTUNES", cache.Path, localFolders: []);
        Assert.Equal(corpus.Documents, again.Documents);
        Assert.Equal(corpus.Labels, again.Labels);
        Assert.Equal(corpus.Classes, again.Classes);
    }

    [Fact]
    public void WordNet_FromTheDebianPackage_LabelsGlossesByPartOfSpeech()
    {
        using var cache = new TempDir();
        var corpus = TextDatasets.Load("wordnet", cache.Path, localFolders: []);
        Assert.Equal(["noun", "verb", "adjective", "adverb"], corpus.Classes);
        Assert.True(corpus.Count > 100_000, $"{corpus.Count} glosses");
        Assert.Equal(4, corpus.Labels!.Distinct().Count());
        Assert.DoesNotContain(corpus.Documents, d => d.Contains(" | ", StringComparison.Ordinal) || d.Contains("LICENSEE", StringComparison.Ordinal));
    }

    [Fact]
    public void ALocalDataFolder_ComesBeforeThePackage_AndItsCacheServesWhenTheSourceIsGone()
    {
        using var local = new TempDir();
        using var cache = new TempDir();
        Directory.CreateDirectory(local.File("fortunes"));
        File.WriteAllText(local.File("fortunes/fortunes"), "one\n%\ntwo\n%\n");
        var corpus = TextDatasets.Load("fortunes", cache.Path, localFolders: [local.Path]);
        Assert.Equal(["one", "two"], corpus.Documents);

        Directory.Delete(local.File("fortunes"), recursive: true);
        var cached = TextDatasets.Load("fortunes", cache.Path, localFolders: [local.Path], debianFolders: NoPackages);
        Assert.Equal(["one", "two"], cached.Documents);
        Assert.Equal(["fortunes"], cached.Classes);
    }

    [Fact]
    public void AMissingPackage_IsAnErrorNamingItAndItsInstallCommand()
    {
        using var cache = new TempDir();
        var e = Assert.Throws<FileNotFoundException>(() => TextDatasets.Load("wordnet", cache.Path, localFolders: [], debianFolders: NoPackages));
        Assert.Contains("wordnet-base", e.Message);
        Assert.Contains("apt-get install -y wordnet-base", e.Message);
        Assert.Contains("/nonexistent/wordnet", e.Message);
    }

    [Fact]
    public void AUsersFolder_IsReadAndCached_AndAChangeRereadsIt()
    {
        using var data = new TempDir();
        using var cache = new TempDir();
        Directory.CreateDirectory(data.File("pos"));
        Directory.CreateDirectory(data.File("neg"));
        File.WriteAllText(data.File("pos/1.txt"), "great");
        File.WriteAllText(data.File("neg/1.txt"), "awful");
        var corpus = TextDatasets.Load(data.Path, cache.Path);
        Assert.Equal(["neg", "pos"], corpus.Classes);
        Assert.Equal([0, 1], corpus.Labels);

        File.WriteAllText(data.File("pos/2.txt"), "superb");
        var changed = TextDatasets.Load(data.Path, cache.Path);
        Assert.Equal(["awful", "great", "superb"], changed.Documents);
        Assert.Equal(2, Directory.GetFiles(cache.Path, "*.jsonl").Length);
    }

    [Fact]
    public void AnUnknownName_IsAnErrorListingTheCorpora()
    {
        var e = Assert.Throws<FileNotFoundException>(() => TextDatasets.Load("no-such-corpus", "/tmp"));
        Assert.Contains("'no-such-corpus'", e.Message);
        Assert.Contains("fortunes, wordnet", e.Message);
    }
}
