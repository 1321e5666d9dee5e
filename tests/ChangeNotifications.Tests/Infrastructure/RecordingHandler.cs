using System.Collections.Concurrent;
using ChangeNotifications.Dispatching;
using ChangeNotifications.Resources;

namespace ChangeNotifications.Tests.Infrastructure;

/// <summary>
/// A handler double that records what it got and fails the first <see cref="FailuresLeft"/> calls. It notes how many
/// calls ran at once; with <see cref="WaitForPeers"/> each call waits (up to 30 s, then fails) until that many ran at once.
/// </summary>
internal sealed class RecordingHandler(ResourceType type) : IChangeNotificationHandler
{
    private readonly TaskCompletionSource _firstHandled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _peersReached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _failuresLeft;
    private int _inFlight;
    private int _maxInFlight;

    public ResourceType ResourceType => type;

    public ConcurrentQueue<ChangeNotificationContext> Handled { get; } = new();

    public ConcurrentQueue<ResyncContext> Resyncs { get; } = new();

    public int Calls;

    public int FailuresLeft
    {
        get => Volatile.Read(ref _failuresLeft);
        set => Volatile.Write(ref _failuresLeft, value);
    }

    public bool FailPermanently { get; set; }

    public Task FirstHandled => _firstHandled.Task;

    public int WaitForPeers { get; set; }

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public async Task HandleAsync(ChangeNotificationContext context, CancellationToken cancellationToken)
    {
        var inFlight = Interlocked.Increment(ref _inFlight);
        try
        {
            InterlockedMax(ref _maxInFlight, inFlight);
            if (inFlight >= WaitForPeers)
            {
                _peersReached.TrySetResult();
            }

            await Task.Yield();
            if (WaitForPeers > 1)
            {
                await _peersReached.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            }

            Record(context);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private void Record(ChangeNotificationContext context)
    {
        Interlocked.Increment(ref Calls);
        if (FailPermanently)
        {
            throw new PermanentNotificationException("handler refuses this item");
        }

        if (Interlocked.Decrement(ref _failuresLeft) >= 0)
        {
            throw new HttpRequestException("simulated Graph outage");
        }

        Handled.Enqueue(context);
        _firstHandled.TrySetResult();
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    public Task ResyncAsync(ResyncContext context, CancellationToken cancellationToken)
    {
        Resyncs.Enqueue(context);
        return Task.CompletedTask;
    }
}
