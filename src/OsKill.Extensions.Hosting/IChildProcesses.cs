namespace OsKill.Extensions.Hosting;

/// <summary>The host's child processes, as they are now: inject it to read their process ids and states.</summary>
public interface IChildProcesses
{
    /// <summary>Every registered child, in start order.</summary>
    IReadOnlyList<ChildProcessInfo> Children { get; }

    /// <summary>The child called <paramref name="name"/>, as it is now.</summary>
    /// <param name="name">Its registered name.</param>
    /// <returns>What it is doing now.</returns>
    /// <exception cref="KeyNotFoundException">No child has that name.</exception>
    ChildProcessInfo GetChild(string name);
}
