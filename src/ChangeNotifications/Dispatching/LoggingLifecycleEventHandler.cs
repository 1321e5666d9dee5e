namespace ChangeNotifications.Dispatching;

/// <summary>Stands in until a subscription manager registers its own <see cref="ILifecycleEventHandler"/>.</summary>
internal sealed partial class LoggingLifecycleEventHandler(ILogger<LoggingLifecycleEventHandler> logger) : ILifecycleEventHandler
{
    public Task HandleAsync(LifecycleEventContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        LogLifecycle(logger, context.Event.ToString(), context.Notification.SubscriptionId);
        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 2201, Level = LogLevel.Warning, Message = "Lifecycle event {LifecycleEvent} for subscription {SubscriptionId}: no subscription manager is registered to act on it")]
    private static partial void LogLifecycle(ILogger logger, string lifecycleEvent, Guid? subscriptionId);
}
