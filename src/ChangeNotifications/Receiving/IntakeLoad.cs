namespace ChangeNotifications.Receiving;

/// <summary>
/// How busy the receiving endpoints are: requests started in the current second and in the one before it, on the
/// injected clock. The endpoints count every request (notifications, lifecycle, handshakes); the dispatcher reads it to
/// leave the CPU to acknowledgements while Graph is sending a lot. One interlocked increment per request; a lock only
/// when a second rolls over.
/// </summary>
public sealed class IntakeLoad(TimeProvider time)
{
    private readonly Lock _roll = new();
    private long _second = -10;
    private int _current;
    private int _previous;

    /// <summary>Counts one request.</summary>
    public void RequestStarted()
    {
        var second = Second();
        if (second != Volatile.Read(ref _second))
        {
            Roll(second);
        }

        Interlocked.Increment(ref _current);
    }

    /// <summary>
    /// Requests in the last full second, or in the current one when it already had more (a burst counts at once, a
    /// quiet spell only after a whole second of it).
    /// </summary>
    public int RecentRequestsPerSecond()
    {
        var second = Second();
        lock (_roll)
        {
            return (second - _second) switch
            {
                0 => Math.Max(_previous, Volatile.Read(ref _current)),
                1 => Volatile.Read(ref _current),
                _ => 0,
            };
        }
    }

    private void Roll(long second)
    {
        lock (_roll)
        {
            if (second <= _second)
            {
                return;
            }

            _previous = second == _second + 1 ? Interlocked.Exchange(ref _current, 0) : 0;
            Interlocked.Exchange(ref _current, 0);
            Volatile.Write(ref _second, second);
        }
    }

    private long Second() => time.GetTimestamp() / time.TimestampFrequency;
}
