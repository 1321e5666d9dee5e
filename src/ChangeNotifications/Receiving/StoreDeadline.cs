using Microsoft.Extensions.Options;

namespace ChangeNotifications.Receiving;

/// <summary>
/// The cancellation behind <see cref="ReceivingOptions.StoreTimeout"/>, shared by the requests of each twentieth of it:
/// one token source and one timer per slice of time instead of a linked source and a timer per acknowledgement (with
/// their registrations, a large share of what an acknowledgement would allocate). A token taken now is cancelled after at least
/// 95 % of the timeout and at most all of it, never later: the answer stays inside Graph's 3 s.
/// </summary>
internal sealed class StoreDeadline
{
    private const int SlicesPerTimeout = 20;

    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;
    private readonly long _sliceTicks;
    private Slice? _current;

    public StoreDeadline(IOptions<ReceivingOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _time = time;
        _timeout = options.Value.StoreTimeout;
        _sliceTicks = Math.Max(1, (long)(_timeout.TotalSeconds * time.TimestampFrequency / SlicesPerTimeout));
    }

    /// <summary>A token cancelled between 95 % and 100 % of the store timeout from now.</summary>
    public CancellationToken Token()
    {
        var now = _time.GetTimestamp();
        var current = Volatile.Read(ref _current);
        return current is not null && now - current.Started < _sliceTicks ? current.Token : Roll(current, now);
    }

    private CancellationToken Roll(Slice? seen, long now)
    {
        // The slice's source fires one timeout after the slice began; whoever takes it later in the slice waits less.
        var next = new Slice(now, new CancellationTokenSource(_timeout, _time));
        var current = Interlocked.CompareExchange(ref _current, next, seen);
        if (current == seen)
        {
            return next.Token;
        }

        // Another request rolled first: its slice began no earlier than this one would have.
        next.Source.Dispose();
        return current!.Token;
    }

    private sealed class Slice(long started, CancellationTokenSource source)
    {
        public long Started { get; } = started;

        public CancellationTokenSource Source { get; } = source;

        public CancellationToken Token { get; } = source.Token;
    }
}
