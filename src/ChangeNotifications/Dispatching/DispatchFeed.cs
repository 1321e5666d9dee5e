using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ChangeNotifications.Inbox;

namespace ChangeNotifications.Dispatching;

/// <summary>
/// What the dispatcher did with each item (handled or dead-lettered), for whoever listens in this process (the status
/// page). Publishing costs one read of the listener list when nobody listens and never blocks: each listener has a
/// bounded queue that drops its oldest entry when the listener falls behind.
/// </summary>
internal sealed class DispatchFeed(TimeProvider time)
{
    /// <summary>Entries a listener may fall behind before the oldest are dropped.</summary>
    public const int ListenerCapacity = 256;

    private readonly Lock _gate = new();
    private Channel<DispatchEvent>[] _listeners = []; // copied on change, read without a lock

    public bool HasListeners => Volatile.Read(ref _listeners).Length > 0;

    public void Publish(InboxItem item, DispatchOutcome outcome, string? reason = null)
    {
        var listeners = Volatile.Read(ref _listeners);
        if (listeners.Length == 0)
        {
            return;
        }

        var entry = new DispatchEvent(item, outcome, reason, time.GetUtcNow());
        foreach (var listener in listeners)
        {
            listener.Writer.TryWrite(entry);
        }
    }

    /// <summary>The entries published from now until <paramref name="cancellationToken"/> ends the listening.</summary>
    public async IAsyncEnumerable<DispatchEvent> ListenAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<DispatchEvent>(new BoundedChannelOptions(ListenerCapacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        lock (_gate)
        {
            Volatile.Write(ref _listeners, [.. _listeners, channel]);
        }

        try
        {
            await foreach (var entry in channel.Reader.ReadAllAsync(cancellationToken))
            {
                yield return entry;
            }
        }
        finally
        {
            lock (_gate)
            {
                Volatile.Write(ref _listeners, _listeners.Where(l => l != channel).ToArray());
            }
        }
    }
}

internal enum DispatchOutcome
{
    Handled,
    DeadLettered,
}

/// <param name="Reason">Why it was dead-lettered.</param>
internal sealed record DispatchEvent(InboxItem Item, DispatchOutcome Outcome, string? Reason, DateTimeOffset At);
