using SelfSup.Tests.Data;
using SelfSup.Text;

namespace SelfSup.Tests.Text;

public class TextFolderReaderTests
{
    [Fact]
    public void AFile_IsOneDocumentPerNonBlankLine()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("docs.txt"), "first doc\n\n  second doc  \r\nthird\n");
        var corpus = TextFolderReader.Read(dir.File("docs.txt"));
        Assert.Equal(["first doc", "second doc", "third"], corpus.Documents);
        Assert.Null(corpus.Labels);
        Assert.Empty(corpus.Classes);
    }

    [Fact]
    public void AFolderOfCategoryFolders_LabelsEachFileByItsFolder()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("sport/deep"));
        Directory.CreateDirectory(dir.File("news"));
        Directory.CreateDirectory(dir.File(".git"));
        File.WriteAllText(dir.File("sport/b.txt"), "goal\n");
        File.WriteAllText(dir.File("sport/deep/a.txt"), "match report");
        File.WriteAllText(dir.File("sport/.hidden"), "skip me");
        File.WriteAllText(dir.File("news/x.txt"), "headline one\nbody");
        File.WriteAllText(dir.File(".git/config"), "skip me too");

        var corpus = TextFolderReader.Read(dir.Path);
        Assert.Equal(["news", "sport"], corpus.Classes);
        Assert.Equal(["headline one\nbody", "goal", "match report"], corpus.Documents);
        Assert.Equal([0, 1, 1], corpus.Labels);
    }

    [Fact]
    public void FilesInTheFolderItself_MakeAnUnlabelledPile()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("sub"));
        File.WriteAllText(dir.File("a.txt"), "one");
        File.WriteAllText(dir.File("sub/b.txt"), "two");
        var corpus = TextFolderReader.Read(dir.Path);
        Assert.Equal(["one", "two"], corpus.Documents);
        Assert.Null(corpus.Labels);
    }

    [Fact]
    public void AMissingPath_OrAnEmptyFolder_IsAnErrorNamingIt()
    {
        using var dir = new TempDir();
        var missing = dir.File("nope.txt");
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => TextFolderReader.Read(missing)).Message);
        Directory.CreateDirectory(dir.File("empty/cat"));
        Assert.Contains(dir.File("empty"), Assert.Throws<InvalidDataException>(() => TextFolderReader.Read(dir.File("empty"))).Message);
    }
}
