using System.Collections.Concurrent;

namespace ChangeNotifications.Logging;

/// <summary>
/// At most N lines a second per event id, for log lines that anyone on the internet can cause (the anonymous
/// webhook endpoints): a flood, or Graph at thousands of requests a second, must not cost a formatted line per
/// request nor drown the log. Seconds are fixed windows on the injected <see cref="TimeProvider"/>'s clock.
/// When lines were left out, the next one that passes is preceded by a line (event 102, same category and level)
/// saying how many, as <c>SuppressedCount</c>. A limit of 0 lets every line through.
/// </summary>
internal sealed partial class LogRateLimiter(int linesPerSecond, TimeProvider time)
{
    private readonly ConcurrentDictionary<int, Window> _windows = new();

    public int LinesPerSecond { get; } = linesPerSecond >= 0
        ? linesPerSecond
        : throw new ArgumentOutOfRangeException(nameof(linesPerSecond), linesPerSecond, "The limit is 0 (none) or more.");

    /// <summary>
    /// Whether the caller writes its line with <paramref name="eventId"/> at <paramref name="level"/> now; false
    /// when the level is off or the line is over this second's limit. Writes the line about lines left out first.
    /// </summary>
    public bool ShouldLog(ILogger logger, LogLevel level, int eventId)
    {
        ArgumentNullException.ThrowIfNull(logger);
        if (!logger.IsEnabled(level))
        {
            return false;
        }

        if (LinesPerSecond == 0)
        {
            return true;
        }

        var window = _windows.GetOrAdd(eventId, static _ => new Window());
        long suppressed;
        lock (window)
        {
            var now = time.GetTimestamp();
            if (!window.Started || now - window.Start >= time.TimestampFrequency)
            {
                window.Started = true;
                window.Start = now;
                window.Count = 0;
            }

            if (window.Count >= LinesPerSecond)
            {
                window.Suppressed++;
                return false;
            }

            window.Count++;
            suppressed = window.Suppressed;
            window.Suppressed = 0;
        }

        if (suppressed > 0)
        {
            LogSuppressed(logger, level, eventId, suppressed, LinesPerSecond);
        }

        return true;
    }

    [LoggerMessage(EventId = 102, Message = "Left out {SuppressedCount} log lines with event id {SuppressedEventId} (over {LinesPerSecond} a second)")]
    private static partial void LogSuppressed(ILogger logger, LogLevel level, int suppressedEventId, long suppressedCount, int linesPerSecond);

    private sealed class Window
    {
        public bool Started;
        public long Start;
        public int Count;
        public long Suppressed;
    }
}
