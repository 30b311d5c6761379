namespace SelfSup.Tests.Distributed;

/// <summary>
/// Tests that launch `mpirun` run alone, one after another and with nothing else in the test process: each job's
/// ranks take both cores, and their timing assertions (a rank ended at once, a collective timing out) and start-up
/// should not depend on what other tests load the machine with.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MpiJobsCollection
{
    public const string Name = "MPI jobs";
}
