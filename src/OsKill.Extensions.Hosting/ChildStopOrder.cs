namespace OsKill.Extensions.Hosting;

/// <summary>In what order the host's children are stopped when it shuts down.</summary>
public enum ChildStopOrder
{
    /// <summary>One after the other, the last started first (as the host stops its hosted services).</summary>
    Reverse,

    /// <summary>All at once: each child's chain runs beside the others, within the same budget.</summary>
    Parallel,
}
