using SelfSup.Data;
using SkiaSharp;

namespace SelfSup.Tests.Data;

public class ImageCaptionsTests
{
    static TempDir Pile()
    {
        var dir = new TempDir();
        TestImages.WriteSolid(dir.File("pile/b.png"), 4, 4, new SKColor(200, 10, 10));
        TestImages.WriteSolid(dir.File("pile/a.png"), 4, 4, new SKColor(10, 200, 10));
        TestImages.WriteSolid(dir.File("pile/sub/c.png"), 4, 4, new SKColor(10, 10, 200));
        return dir;
    }

    static string Write(TempDir dir, string name, string text)
    {
        File.WriteAllText(dir.File(name), text);
        return dir.File(name);
    }

    [Fact]
    public void Csv_GathersSeveralCaptionsPerImage_SortsImagesByPath_AndKeepsQuotedCommas()
    {
        using var dir = Pile();
        var csv = Write(dir, "captions.csv", "id,caption,path\n1,a red square,b.png\n2,\"green, and square\",a.png\n\n3,\"a \"\"red\"\" one\",b.png\n");
        var rows = ImageCaptions.ReadCaptions(csv, dir.File("pile"));
        Assert.Equal(["a.png", "b.png"], rows.Select(r => r.Path));
        Assert.Equal(["green, and square"], rows[0].Captions);
        Assert.Equal(["a red square", "a \"red\" one"], rows[1].Captions);
        Assert.Equal([3, 2], rows.Select(r => r.Line));
    }

    [Fact]
    public void JsonLines_AreReadAsImageAndCaption_AndDecodeAlignedWithTheirCaptions()
    {
        TorchRuntime.Initialize();
        using var dir = Pile();
        var jsonl = Write(dir, "captions.jsonl", "{\"image\": \"sub/c.png\", \"caption\": \"blue\"}\n{\"image\": \"a.png\", \"caption\": \"green\"}\n");
        using var data = ImageCaptions.Read(jsonl, dir.File("pile"), new DatasetOptions { Channels = 3 });
        Assert.Equal(2, data.Images.Count);
        Assert.False(data.Images.HasLabels);
        Assert.Equal(["green"], data.Captions[0]);
        Assert.Equal(["blue"], data.Captions[1]);
        // Row 0 is a.png (green), row 1 sub/c.png (blue).
        Assert.True(data.Images.Images[0, 1, 0, 0].item<byte>() > 150);
        Assert.True(data.Images.Images[1, 2, 0, 0].item<byte>() > 150);
    }

    [Theory]
    [InlineData("captions.csv", "path,text\na.png,x\n", "line 1", "'caption' column")]
    [InlineData("captions.csv", "file,caption\na.png,x\nmissing.png,y\n", "line 3", "missing.png")]
    [InlineData("captions.csv", "path,caption\na.png,\n", "line 2", "'caption' is empty")]
    [InlineData("captions.csv", "path,caption\n,x\n", "line 2", "'path' is empty")]
    [InlineData("captions.csv", "path,caption\na.png,x,y\n", "line 2", "2 fields")]
    [InlineData("captions.csv", "path,caption\na.png,\"x\n", "line 2", "not closed")]
    [InlineData("captions.csv", "path,caption\n", "no rows", "image paths")]
    [InlineData("captions.jsonl", "{\"image\": \"a.png\", \"caption\": \"x\"}\n{\"image\": \"a.png\"}\n", "line 2", "\"caption\"")]
    [InlineData("captions.jsonl", "{\"image\": 3, \"caption\": \"x\"}\n", "line 1", "\"image\" must be a string")]
    [InlineData("captions.jsonl", "{\"image\": \"a.png\", \"caption\": \"x\"}\n{oops\n", "line 2", "not a JSON object")]
    public void BadRows_AreErrorsNamingTheFileLineAndField(string name, string text, string where, string what)
    {
        using var dir = Pile();
        var file = Write(dir, name, text);
        var e = Assert.Throws<InvalidDataException>(() => ImageCaptions.ReadCaptions(file, dir.File("pile")));
        Assert.Contains(name, e.Message);
        Assert.Contains(where, e.Message);
        Assert.Contains(what, e.Message);
    }
}
