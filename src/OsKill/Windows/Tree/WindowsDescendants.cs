using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using OsKill.Core;

namespace OsKill.Windows.Tree;

/// <summary>The descendants of a process, found by the tree walk without freezing or ending anything (for the container, which puts them in its job).</summary>
[SupportedOSPlatform("windows")]
internal static class WindowsDescendants
{
    /// <summary>
    /// Calls <paramref name="visit"/> for every descendant of the process that <paramref name="root"/>
    /// names, found by walks that do not freeze (see <see cref="TreeSkeleton{TMember}.WalkWithoutFreezing"/>),
    /// with a handle that also has <paramref name="extraAccess"/>; "to <paramref name="action"/>" in messages.
    /// </summary>
    internal static void ForEach(SafeHandle root, uint extraAccess, string action, Action<int, SafeHandle> visit)
    {
        using TreeSkeleton<WindowsTreeMember> tree = WindowsProcessTree.Start(root, 0, WindowsTreeBackend.MemberAccess | extraAccess, action, null);
        _ = tree.WalkWithoutFreezing(CancellationToken.None);
        foreach (WindowsTreeMember m in tree.Members.Skip(1))
        {
            visit(m.Pid, m.Handle);
        }
    }
}
