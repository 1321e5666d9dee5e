namespace ChangeNotifications.Subscriptions;

/// <summary>
/// When the reconciler's loop last finished a round, and whether this instance led it: the <c>renewer</c> health check
/// reads it. A round this instance did not lead still proves that a leader is known (the lease is held elsewhere); a
/// lease that cannot be read at all throws, which counts as a failed round.
/// </summary>
internal sealed class ReconcilerHeartbeat(TimeProvider time)
{
    private volatile ReconcilerBeat? _last;

    public DateTimeOffset StartedAt { get; } = time.GetUtcNow();

    /// <summary>The last round, or null before the first.</summary>
    public ReconcilerBeat? Last => _last;

    public void Led() => _last = new ReconcilerBeat(time.GetUtcNow(), Leading: true, Failure: null);

    public void Followed() => _last = new ReconcilerBeat(time.GetUtcNow(), Leading: false, Failure: null);

    public void Failed(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        _last = new ReconcilerBeat(time.GetUtcNow(), _last?.Leading ?? false, $"{exception.GetType().Name}: {exception.Message}");
    }
}

/// <param name="Failure">Null when the round ran to its end; else what stopped it.</param>
internal sealed record ReconcilerBeat(DateTimeOffset At, bool Leading, string? Failure);
