using System.Reflection;
using SelfSup.Leaderboard;

namespace SelfSup.Tests.Leaderboard;

public class SourceTreeStateTests
{
    [Fact]
    public void TheLibrary_RecordsWhetherItsSourcesHadUncommittedChanges_WhenItWasBuilt()
    {
        // Result files name the build's own tree (Directory.Build.props writes it at build time).
        var state = typeof(BenchProtocol).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(a => a.Key == "SourceTreeState")?.Value;
        Assert.Contains(state, new[] { "clean", "modified", "unknown" });
    }
}
