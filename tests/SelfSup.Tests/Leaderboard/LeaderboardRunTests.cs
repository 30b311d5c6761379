using SelfSup.Leaderboard;
using SelfSup.Methods;
using SelfSup.Tests.Data;
using SelfSup.Tests.Docs;

namespace SelfSup.Tests.Leaderboard;

public class LeaderboardRunTests
{
    static readonly BenchProtocol Protocol = new() { Data = "cifar10", BudgetSeconds = 600 };

    static IReadOnlyList<MethodInfo> Methods(params string[] names) => names.Select(MethodRegistry.Get).ToList();

    static LeaderboardEntry Train(MethodInfo m, string dir) => FakeEntries.Done(m.Name, m.Family, 40, 45);

    [Fact]
    public void FinishedMethods_AreKept_WhenTheRunIsRepeated()
    {
        using var tmp = new TempDir();
        var calls = new List<string>();
        LeaderboardEntry Counting(MethodInfo m, string dir)
        {
            calls.Add(m.Name);
            return Train(m, dir);
        }

        var first = LeaderboardRun.Run(Methods("simclr", "byol"), Protocol, tmp.Path, FakeEntries.Provenance, Counting);
        var second = LeaderboardRun.Run(Methods("simclr", "byol"), Protocol, tmp.Path, FakeEntries.Provenance, Counting);

        Assert.Equal(["simclr", "byol"], calls);
        Assert.All(first, o => Assert.False(o.Reused));
        Assert.All(second, o => Assert.True(o.Reused));
        Assert.Equal(Path.Combine(tmp.Path, "cifar10", "byol", "result.json"), second[1].ResultPath);
        Assert.Equal(EntryStatus.Done, LeaderboardResultFile.Load(second[1].ResultPath).Entry.Status);
    }

    [Fact]
    public void AFailingMethod_IsRecordedWithItsError_TheOthersRun_AndTheNextRunTriesItAgain()
    {
        using var tmp = new TempDir();
        var calls = new List<string>();
        LeaderboardEntry Failing(MethodInfo m, string dir)
        {
            calls.Add(m.Name);
            return m.Name == "simclr" ? throw new InvalidDataException("views: out of memory") : Train(m, dir);
        }

        var outcomes = LeaderboardRun.Run(Methods("simclr", "byol"), Protocol, tmp.Path, FakeEntries.Provenance, Failing);
        var failed = LeaderboardResultFile.Load(outcomes[0].ResultPath).Entry;
        LeaderboardRun.Run(Methods("simclr", "byol"), Protocol, tmp.Path, FakeEntries.Provenance, Failing);

        Assert.Equal([EntryStatus.Failed, EntryStatus.Done], outcomes.Select(o => o.Status));
        Assert.Equal(EntryStatus.Failed, failed.Status);
        Assert.Equal("InvalidDataException: views: out of memory", failed.Error);
        Assert.Equal("resnet18 w16", failed.Encoder);
        Assert.Equal(["simclr", "byol", "simclr"], calls);
    }

    [Fact]
    public void ATextMethod_IsSkippedWithItsReason_WithoutTraining()
    {
        using var tmp = new TempDir();
        var outcomes = LeaderboardRun.Run(Methods("mlm"), Protocol, tmp.Path, FakeEntries.Provenance, (_, _) => throw new InvalidOperationException("must not train"));

        var entry = LeaderboardResultFile.Load(outcomes[0].ResultPath).Entry;
        Assert.Equal(EntryStatus.Skipped, entry.Status);
        Assert.Contains("text method", entry.Error);
    }

    [Fact]
    public void AResultMadeUnderAnotherBudget_IsNotKept()
    {
        using var tmp = new TempDir();
        var calls = 0;
        LeaderboardEntry Counting(MethodInfo m, string dir)
        {
            calls++;
            return FakeEntries.Done(m.Name, m.Family, 40, 45, budget: Protocol.BudgetSeconds);
        }
        LeaderboardRun.Run(Methods("simclr"), Protocol, tmp.Path, FakeEntries.Provenance, Counting);

        LeaderboardRun.Run(Methods("simclr"), Protocol with { BudgetSeconds = 180 }, tmp.Path, FakeEntries.Provenance, Counting);

        Assert.Equal(2, calls);
    }

    [Fact]
    public void ResultFiles_FollowTheDocsResultSchema_AndRoundTrip()
    {
        using var tmp = new TempDir();
        var outcomes = LeaderboardRun.Run(Methods("simclr"), Protocol, tmp.Path, FakeEntries.Provenance, Train);

        var json = File.ReadAllText(outcomes[0].ResultPath);
        var loaded = LeaderboardResultFile.Load(outcomes[0].ResultPath);
        Assert.Null(ResultFilesTests.Problem(json));
        Assert.Equal(45, loaded.Entry.Evaluation!.LinearTop1);
        Assert.Equal(FakeEntries.Provenance.Commit, loaded.Provenance.Commit);
        Assert.Equal(390, loaded.Entry.Plan!.TotalSteps);
    }
}
