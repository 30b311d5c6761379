using System.Text.Json;
using SelfSup.Reporting;

namespace SelfSup.Tests.Reporting;

public class JsonTablesTests
{
    [Fact]
    public void ScalarsAreFlattened_AndArraysOfObjectsBecomeTables()
    {
        using var doc = JsonDocument.Parse("""
            {"method":"simclr","knn_top1":43.5,"random_init":{"knn_top1":23.4},"ks":[1,5],
             "rows":[{"fraction":0.01,"top1":30},{"fraction":0.1,"top1":40,"note":"a|b"}]}
            """);
        var md = JsonTables.ToMarkdown(doc.RootElement);
        Assert.Contains("| method | simclr |", md);
        Assert.Contains("| random_init.knn_top1 | 23.4 |", md);
        Assert.Contains("| ks | [1, 5] |", md);
        Assert.Contains("`rows`:", md);
        Assert.Contains("| fraction | top1 | note |", md);
        Assert.Contains("| 0.01 | 30 |  |", md);
        Assert.Contains("| 0.1 | 40 | a\\|b |", md);
    }
}
