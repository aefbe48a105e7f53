namespace OsKill.Tests;

/// <summary>
/// The tests that grow process trees (hundreds of processes, some forking all the time) run alone,
/// after the rest of the assembly: a forking tree takes CPU and pids from the other tests' children,
/// whose start-up has a timeout. xunit finds collection definitions only in the test assembly, so
/// this one stays here, not in OsKill.Testing.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessTreeGroup
{
    public const string Name = "Process trees";
}
