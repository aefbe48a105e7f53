namespace OsKill.Extensions.Hosting;

/// <summary>The name of one registered child, in registration order (the start order).</summary>
internal sealed record ChildProcessRegistration(string Name);
