using System.Text;

namespace OsKill.Cli;

/// <summary>
/// oskill's stdout or stderr as the rest of the code sees it: a writer that never throws, so that
/// output that cannot be written (a full disk, a closed descriptor) can never stop the sending
/// loop or end the process. The first failure is kept, in the OS's words, and the rest of that
/// stream is dropped; <see cref="Rules.Finish"/> reports it once everything is sent.
/// </summary>
internal sealed class GuardedWriter : TextWriter
{
    private readonly TextWriter _inner;

    private GuardedWriter(TextWriter inner) => _inner = inner;

    /// <summary>Why a write failed ("No space left on device"), or null while none has.</summary>
    internal string? Failure { get; private set; }

    public override Encoding Encoding => _inner.Encoding;

    /// <summary>Guards <paramref name="writer"/>, unless it is guarded already.</summary>
    internal static GuardedWriter Of(TextWriter writer) => writer as GuardedWriter ?? new GuardedWriter(writer);

    public override void Write(char value) => Guard(w => w.Write(value));

    public override void Write(string? value) => Guard(w => w.Write(value));

    public override void Write(char[] buffer, int index, int count) => Guard(w => w.Write(buffer, index, count));

    public override void Write(ReadOnlySpan<char> buffer)
    {
        if (Failure is null)
        {
            string text = buffer.ToString();
            Guard(w => w.Write(text));
        }
    }

    public override void WriteLine(string? value) => Guard(w => w.WriteLine(value));

    public override void WriteLine() => Guard(w => w.WriteLine());

    public override void Flush() => Guard(w => w.Flush());

    private void Guard(Action<TextWriter> write)
    {
        if (Failure is not null)
        {
            return;
        }

        try
        {
            write(_inner);
        }
        catch (Exception e)
        {
            // Whatever it is (IOException, UnauthorizedAccessException for EBADF under the
            // console streams...), it is about the output, and the output is not worth a target.
            Failure = Sender.OneLine(e.Message);
        }
    }
}
