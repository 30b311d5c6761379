using SelfSup.Distributed;
using SelfSup.Tests.TestSupport;
using Xunit.Abstractions;

namespace SelfSup.Tests.Distributed;

/// <summary>
/// The MPI binding: every collective checked against values each rank computes itself, on 3 ranks of different
/// sizes (`selfsup distributed check` under mpirun), and clear refusals of a library that is not Open MPI or not there.
/// </summary>
[Trait("Category", "Distributed")]
[Collection(MpiJobsCollection.Name)]
public sealed class MpiBindingTests(ITestOutputHelper output)
{
    [Fact]
    public void CollectivesGiveTheExpectedValuesOnThreeRanks()
    {
        using var job = MpiJob.Start(3, "distributed", "check", "--megabytes", "4");
        var (code, _) = job.Wait(TimeSpan.FromSeconds(120));
        output.WriteLine(job.Stdout + job.Stderr);
        Assert.True(code == 0, job.Stderr);
        Assert.Contains("3 ranks on 1 host(s)", job.Stdout);
        Assert.Contains("collectives: ok (allreduce, allgatherv, broadcast, barrier, allgather gradient)", job.Stdout);
        Assert.Contains("library: Open MPI", job.Stdout);
    }

    [Fact]
    public void ALibraryThatIsNotOpenMpiIsRefusedWithTheReason()
    {
        // zlib stands in for an MPICH build: it loads, but has none of Open MPI's handle symbols.
        var e = Assert.Throws<PlatformNotSupportedException>(() => WithLibrary("libz.so.1", MpiLibrary.Load));
        Assert.Contains("libz.so.1 is not Open MPI", e.Message);
        Assert.Contains("MPICH", e.Message);
    }

    [Fact]
    public void AMissingLibraryNamesWhatToInstall()
    {
        var e = Assert.Throws<DllNotFoundException>(() => WithLibrary("/nonexistent/libmpi.so.40", MpiLibrary.Load));
        Assert.Contains("/nonexistent/libmpi.so.40: cannot load the MPI library", e.Message);
        Assert.Contains("openmpi-bin", e.Message);
    }

    static T WithLibrary<T>(string path, Func<T> body)
    {
        var before = Environment.GetEnvironmentVariable(MpiLibrary.LibraryVariable);
        Environment.SetEnvironmentVariable(MpiLibrary.LibraryVariable, path);
        try
        {
            return body();
        }
        finally
        {
            Environment.SetEnvironmentVariable(MpiLibrary.LibraryVariable, before);
        }
    }
}
