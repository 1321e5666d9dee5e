using System.Globalization;
using System.Text.RegularExpressions;

namespace ChangeNotifications.GraphEmulator.Hosting;

/// <summary>Request text for the emulator's log lines: control characters (CR, LF above all) and the Unicode line
/// separators written as <c>\uXXXX</c>, so a request cannot start a log line of its own.</summary>
internal static partial class LogValue
{
    public static string Safe(string? text) => string.IsNullOrEmpty(text)
        ? string.Empty
        : Unsafe().Replace(text, m => "\\u" + ((int)m.Value[0]).ToString("X4", CultureInfo.InvariantCulture));

    [GeneratedRegex(@"[\p{Cc}\u2028\u2029]")]
    private static partial Regex Unsafe();
}
