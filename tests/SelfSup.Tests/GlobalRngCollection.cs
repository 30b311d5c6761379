namespace SelfSup.Tests;

/// <summary>
/// Tests that depend on libtorch's process-wide random generator run alone: those that assert on its state (e.g. that
/// a call leaves it untouched) and those that seed it, build or train a model twice and compare the two runs (resume,
/// same seed → same model). Any test running in parallel that seeds or draws from it (every module's initialisation
/// does) would change its state between the two reads.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalRngCollection
{
    public const string Name = "global RNG";
}
