using SelfSup.Tests.Data;
using SelfSup.Text;

namespace SelfSup.Tests.Text;

public class FortuneReaderTests
{
    [Fact]
    public void Parse_SplitsOnLinesHoldingOnlyAPercentSign()
    {
        var text = "First.\n%\nSecond, line one\n  indented line two\n\n%\n\n%\n100% true\r\n%\r\nLast\n";
        Assert.Equal(["First.", "Second, line one\n  indented line two", "100% true", "Last"], FortuneReader.Parse(text));
    }

    [Fact]
    public void ReadFolder_LabelsByCookieFile_SkippingIndexesLinksAndSubfolders()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("zen"), "Z1\n%\nZ2\n%\n");
        File.WriteAllText(dir.File("art"), "A1\n%\n");
        File.WriteAllText(dir.File("art.dat"), "\0\0binary index");
        File.WriteAllText(dir.File("art.u8"), "U8 copy\n%\n");
        File.WriteAllText(dir.File("empty"), "%\n%\n");
        Directory.CreateDirectory(dir.File("off"));
        File.WriteAllText(Path.Combine(dir.File("off"), "rude"), "R\n%\n");

        var corpus = FortuneReader.ReadFolder(dir.Path, "fortunes");
        Assert.Equal("fortunes", corpus.Name);
        Assert.Equal(["art", "zen"], corpus.Classes);
        Assert.Equal(["A1", "Z1", "Z2"], corpus.Documents);
        Assert.Equal([0, 1, 1], corpus.Labels);
    }

    [Fact]
    public void ReadFolder_WithoutFortunes_NamesTheFolder()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<InvalidDataException>(() => FortuneReader.ReadFolder(dir.Path));
        Assert.Contains(dir.Path, e.Message);
        Assert.Contains(Path.Combine(dir.Path, "nope"), Assert.Throws<DirectoryNotFoundException>(() => FortuneReader.ReadFolder(Path.Combine(dir.Path, "nope"))).Message);
    }
}
