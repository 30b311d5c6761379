using SelfSup.Tests.Data;
using SelfSup.Text;

namespace SelfSup.Tests.Text;

public class WordNetReaderTests
{
    const string License = "  1 This software and database is being provided to you, the LICENSEE, by  ";

    static string Line(string offset, string pos, string lemma, string gloss) => $"{offset} 02 {pos} 01 {lemma} 0 000 | {gloss}  ";

    [Fact]
    public void Gloss_IsTheTextAfterTheBar_LicenceLinesHaveNone()
    {
        Assert.Equal("without musical accompaniment; \"they performed a cappella\"",
            WordNetReader.Gloss(Line("00001740", "r", "a_cappella", "without musical accompaniment; \"they performed a cappella\""), "x"));
        Assert.Null(WordNetReader.Gloss(License, "x"));
        Assert.Null(WordNetReader.Gloss("", "x"));
    }

    [Fact]
    public void Gloss_OfASynsetLineWithoutBar_NamesTheSource()
    {
        var e = Assert.Throws<InvalidDataException>(() => WordNetReader.Gloss("00001740 02 r 01 a_cappella 0 000", "data.adv line 30"));
        Assert.StartsWith("data.adv line 30:", e.Message);
    }

    [Fact]
    public void ReadFolder_LabelsEveryGlossByItsFilesPartOfSpeech()
    {
        using var dir = new TempDir();
        File.WriteAllLines(dir.File("data.noun"), [License, Line("00001740", "n", "entity", "that which exists"), Line("00001930", "n", "thing", "a separate object")]);
        File.WriteAllLines(dir.File("data.verb"), [License, Line("00001740", "v", "breathe", "draw air")]);
        File.WriteAllLines(dir.File("data.adj"), [Line("00001740", "a", "able", "having the means")]);
        File.WriteAllLines(dir.File("data.adv"), [License, License, Line("00001740", "r", "a_cappella", "without accompaniment")]);

        var corpus = WordNetReader.ReadFolder(dir.Path, "wordnet");
        Assert.Equal(["noun", "verb", "adjective", "adverb"], corpus.Classes);
        Assert.Equal(["that which exists", "a separate object", "draw air", "having the means", "without accompaniment"], corpus.Documents);
        Assert.Equal([0, 0, 1, 2, 3], corpus.Labels);
    }

    [Fact]
    public void ReadFolder_WithAFileMissing_NamesItsPath()
    {
        using var dir = new TempDir();
        File.WriteAllLines(dir.File("data.noun"), [Line("00001740", "n", "entity", "that which exists")]);
        var e = Assert.Throws<FileNotFoundException>(() => WordNetReader.ReadFolder(dir.Path));
        Assert.Contains(dir.File("data.verb"), e.Message);
    }

    [Fact]
    public void ReadFolder_OfABadLine_NamesFileAndLine()
    {
        using var dir = new TempDir();
        foreach (var f in WordNetReader.Files) File.WriteAllLines(dir.File(f), [License, "00001740 02 n 01 entity 0 000"]);
        var e = Assert.Throws<InvalidDataException>(() => WordNetReader.ReadFolder(dir.Path));
        Assert.StartsWith($"{dir.File("data.noun")} line 2:", e.Message);
    }
}
