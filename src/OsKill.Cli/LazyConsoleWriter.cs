using System.Text;

namespace OsKill.Cli;

/// <summary>
/// Standard output or error on Windows, opened on the first write (Unix writes with
/// <see cref="FdWriter"/>). Opening the console's writer looks up its encoding, which is most of
/// the managed start-up work of a run that prints nothing, such as <c>oskill -0 PID</c>.
/// </summary>
internal sealed class LazyConsoleWriter(bool error) : TextWriter
{
    private TextWriter? _inner;

    public override Encoding Encoding => Inner.Encoding;

    private TextWriter Inner => _inner ??= error ? Console.Error : Console.Out;

    public override void Write(char value) => Inner.Write(value);

    public override void Write(string? value) => Inner.Write(value);

    public override void Write(char[] buffer, int index, int count) => Inner.Write(buffer, index, count);

    public override void Write(ReadOnlySpan<char> buffer) => Inner.Write(buffer);

    public override void WriteLine(string? value) => Inner.WriteLine(value);

    public override void WriteLine() => Inner.WriteLine();

    public override void Flush() => _inner?.Flush();
}
