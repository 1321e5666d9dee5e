namespace ChangeNotifications.GraphEmulator.Delivery;

/// <summary>What the emulator did with notifications, counted per notification item (answers: per POST).</summary>
public sealed record DeliveryCounterSnapshot(
    long Delivered,
    long Retried,
    long Dropped,
    long Delayed,
    long SlowAnswers,
    long FailedAttempts,
    long Withheld);

/// <summary>Thread-safe counters behind <see cref="DeliveryCounterSnapshot"/>, with a way to wait for a change.</summary>
internal sealed class DeliveryCounters
{
    private readonly Lock _gate = new();
    private long _delivered;
    private long _retried;
    private long _dropped;
    private long _delayed;
    private long _slowAnswers;
    private long _failedAttempts;
    private long _withheld;
    private TaskCompletionSource _changed = NewSignal();

    public DeliveryCounterSnapshot Snapshot()
    {
        lock (_gate)
        {
            return new(_delivered, _retried, _dropped, _delayed, _slowAnswers, _failedAttempts, _withheld);
        }
    }

    public void Delivered(int items) => Add(ref _delivered, items);

    public void Retried(int items) => Add(ref _retried, items);

    public void Dropped(int items) => Add(ref _dropped, items);

    public void Delayed(int items) => Add(ref _delayed, items);

    public void SlowAnswer() => Add(ref _slowAnswers, 1);

    public void FailedAttempt() => Add(ref _failedAttempts, 1);

    public void Withheld(int items) => Add(ref _withheld, items);

    public void Reset()
    {
        lock (_gate)
        {
            _delivered = _retried = _dropped = _delayed = _slowAnswers = _failedAttempts = _withheld = 0;
        }

        Signal();
    }

    /// <summary>Waits (bounded by <paramref name="cancellationToken"/>) until the counters satisfy <paramref name="condition"/>.</summary>
    public async Task<DeliveryCounterSnapshot> WaitUntilAsync(Func<DeliveryCounterSnapshot, bool> condition, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                changed = _changed.Task;
            }

            var snapshot = Snapshot();
            if (condition(snapshot))
            {
                return snapshot;
            }

            await changed.WaitAsync(cancellationToken);
        }
    }

    private void Add(ref long counter, int amount)
    {
        if (amount == 0)
        {
            return;
        }

        lock (_gate)
        {
            counter += amount;
        }

        Signal();
    }

    private void Signal()
    {
        TaskCompletionSource previous;
        lock (_gate)
        {
            previous = _changed;
            _changed = NewSignal();
        }

        previous.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
