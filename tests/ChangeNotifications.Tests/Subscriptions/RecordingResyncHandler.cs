using System.Collections.Concurrent;
using ChangeNotifications.Dispatching;
using ChangeNotifications.Resources;

namespace ChangeNotifications.Tests.Subscriptions;

/// <summary>A handler double for the resync seam: records each resync it is asked for.</summary>
internal sealed class RecordingResyncHandler(ResourceType resourceType) : IChangeNotificationHandler
{
    public ResourceType ResourceType { get; } = resourceType;

    public ConcurrentQueue<ResyncContext> Resyncs { get; } = new();

    /// <summary>Resyncs to fail before succeeding (a handler that cannot reach Graph yet).</summary>
    public int FailuresToSimulate { get; set; }

    public Task HandleAsync(ChangeNotificationContext context, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task ResyncAsync(ResyncContext context, CancellationToken cancellationToken)
    {
        if (FailuresToSimulate > 0)
        {
            FailuresToSimulate--;
            throw new HttpRequestException("simulated: Graph unreachable");
        }

        Resyncs.Enqueue(context);
        return Task.CompletedTask;
    }
}
