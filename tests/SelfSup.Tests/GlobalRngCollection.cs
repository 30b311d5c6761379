namespace SelfSup.Tests;

/// <summary>
/// Tests that assert on libtorch's process-wide random generator (e.g. that a call leaves it untouched) run alone:
/// any test running in parallel that seeds or draws from it would change its state between the two reads.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalRngCollection
{
    public const string Name = "global RNG";
}
