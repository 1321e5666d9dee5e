using System.Collections.Concurrent;
using ChangeNotifications.Dispatching;
using ChangeNotifications.Resources;

namespace ChangeNotifications.Tests.Infrastructure;

/// <summary>A handler double that records what it got and fails the first <see cref="FailuresLeft"/> calls.</summary>
public sealed class RecordingHandler(ResourceType type) : IChangeNotificationHandler
{
    private readonly TaskCompletionSource _firstHandled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _failuresLeft;

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

    public Task HandleAsync(ChangeNotificationContext context, CancellationToken cancellationToken)
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
        return Task.CompletedTask;
    }

    public Task ResyncAsync(ResyncContext context, CancellationToken cancellationToken)
    {
        Resyncs.Enqueue(context);
        return Task.CompletedTask;
    }
}
