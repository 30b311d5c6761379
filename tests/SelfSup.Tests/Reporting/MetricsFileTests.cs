using SelfSup.Reporting;
using SelfSup.Tests.Data;

namespace SelfSup.Tests.Reporting;

public class MetricsFileTests
{
    [Fact]
    public void Read_KeepsNumericFields_AndSeparatesStepsFromEpochs()
    {
        using var dir = new TempDir();
        File.WriteAllLines(dir.File("m.jsonl"),
        [
            """{"step":1,"loss":5.5,"lr":0.1,"note":"warm-up"}""",
            "",
            """{"step":2,"loss":4.5}""",
            """{"step":2,"epoch":1,"epoch_loss":5.0}""",
        ]);
        var m = MetricsFile.Read(dir.File("m.jsonl"));
        Assert.Equal(3, m.Records.Count);
        Assert.Equal(2, m.Steps.Count());
        Assert.Single(m.Epochs);
        Assert.False(m.Records[0].ContainsKey("note"));
        var (steps, losses) = m.Series("loss");
        Assert.Equal([1.0, 2.0], steps);
        Assert.Equal([5.5, 4.5], losses);
        Assert.Equal([0.1], m.Series("lr").Values);
    }

    [Fact]
    public void Read_IgnoresATruncatedLastLine_ButNotAMalformedMiddleOne()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("cut.jsonl"), "{\"step\":1,\"loss\":5}\n{\"step\":2,\"lo");
        Assert.Single(MetricsFile.Read(dir.File("cut.jsonl")).Records);

        File.WriteAllText(dir.File("bad.jsonl"), "{\"step\":1\n{\"step\":2,\"loss\":5}\n");
        var e = Assert.Throws<InvalidDataException>(() => MetricsFile.Read(dir.File("bad.jsonl")));
        Assert.Contains("bad.jsonl:1", e.Message);
    }
}
