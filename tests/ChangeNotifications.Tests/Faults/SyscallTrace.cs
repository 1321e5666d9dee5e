using System.Text.RegularExpressions;

namespace ChangeNotifications.Tests.Faults;

/// <summary>
/// One system call from a log of <c>strace -f -tt -y -o FILE</c>: its thread, name, the file or socket of its first
/// argument (as <c>-y</c> prints it), its printed arguments and result, and the lines of the log where it entered and
/// returned. strace prints events in the order it sees them, so line numbers order calls across threads: a call that
/// another thread's event interrupted is printed <c>&lt;unfinished ...&gt;</c> and returns at its
/// <c>&lt;... name resumed&gt;</c> line.
/// </summary>
internal sealed record Syscall(int Thread, string Name, string Target, string Arguments, string Result, string Time, int Entry, int Exit);

internal static partial class SyscallTrace
{
    private const string Unfinished = " <unfinished ...>";

    /// <summary>The calls of <paramref name="lines"/> whose first argument is a file descriptor, in the order they entered.</summary>
    public static IReadOnlyList<Syscall> Parse(IReadOnlyList<string> lines)
    {
        var calls = new List<Syscall>();
        var pending = new Dictionary<(int Thread, string Name), Syscall>();
        for (var line = 0; line < lines.Count; line++)
        {
            if (Resumed().Match(lines[line]) is { Success: true } resumed)
            {
                var key = (int.Parse(resumed.Groups["tid"].ValueSpan), resumed.Groups["name"].Value);
                if (pending.Remove(key, out var started))
                {
                    var rest = resumed.Groups["rest"].Value;
                    calls.Add(started with { Arguments = started.Arguments + rest, Result = ResultOf(rest), Exit = line });
                }
            }
            else if (Entered().Match(lines[line]) is { Success: true } entered)
            {
                var rest = entered.Groups["rest"].Value;
                var call = new Syscall(
                    int.Parse(entered.Groups["tid"].ValueSpan), entered.Groups["name"].Value, entered.Groups["target"].Value,
                    rest, ResultOf(rest), entered.Groups["time"].Value, line, line);
                if (rest.EndsWith(Unfinished, StringComparison.Ordinal))
                {
                    pending[(call.Thread, call.Name)] = call with { Arguments = rest[..^Unfinished.Length] };
                }
                else
                {
                    calls.Add(call);
                }
            }
        }

        return calls.OrderBy(c => c.Entry).ToList();
    }

    private static string ResultOf(string rest) => Result().Match(rest) is { Success: true } m ? m.Groups["result"].Value : string.Empty;

    // 8785  02:03:20.398994 fsync(300</tmp/x/service.db-wal>) = 0
    [GeneratedRegex(@"^(?<tid>\d+)\s+(?<time>[\d:.]+)\s+(?<name>\w+)\(-?\d+<(?<target>[^>]*)>(?<rest>.*)$")]
    private static partial Regex Entered();

    // 8785  02:03:20.381234 <... sendto resumed>) = 98
    [GeneratedRegex(@"^(?<tid>\d+)\s+(?<time>[\d:.]+)\s+<\.\.\. (?<name>\w+) resumed>(?<rest>.*)$")]
    private static partial Regex Resumed();

    // ... ) = 98   or   ... ) = -1 EAGAIN (Resource temporarily unavailable)
    [GeneratedRegex(@"\)\s+=\s+(?<result>-?\d+)(?:\s+[A-Z]+\s+\([^)]*\))?$")]
    private static partial Regex Result();
}
