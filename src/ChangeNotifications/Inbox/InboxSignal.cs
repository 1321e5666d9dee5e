namespace ChangeNotifications.Inbox;

/// <summary>
/// Wakes the dispatcher when intake stored something, so a notification is handled at once rather than at
/// the next poll. In-process only; the poll interval covers other processes (scale-out) and missed wakes.
/// </summary>
internal sealed class InboxSignal
{
    // Set while the dispatcher waits; a notify with nobody waiting costs a read (it is on every acknowledgement).
    private TaskCompletionSource? _next;

    public void Notify()
    {
        if (Volatile.Read(ref _next) is not null)
        {
            Interlocked.Exchange(ref _next, null)?.TrySetResult();
        }
    }

    /// <summary>Completes on the next <see cref="Notify"/>, after <paramref name="timeout"/>, or on cancellation.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var signal = Next();
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(timeout, time, timeoutCts.Token);
        await Task.WhenAny(signal, delay);
        await timeoutCts.CancelAsync();
        cancellationToken.ThrowIfCancellationRequested();
    }

    private Task Next()
    {
        var current = Volatile.Read(ref _next);
        if (current is not null)
        {
            return current.Task;
        }

        var fresh = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return (Interlocked.CompareExchange(ref _next, fresh, null) ?? fresh).Task;
    }
}
