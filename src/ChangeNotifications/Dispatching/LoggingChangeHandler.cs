using ChangeNotifications.Resources;

namespace ChangeNotifications.Dispatching;

/// <summary>The handler of last resort: logs the notification, fetches nothing.</summary>
internal sealed partial class LoggingChangeHandler(ILogger<LoggingChangeHandler> logger) : IChangeNotificationHandler
{
    public ResourceType ResourceType => ResourceType.Unknown;

    public Task HandleAsync(ChangeNotificationContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        LogChange(logger, context.ResourceType, context.ChangeTypeName, context.Resource.Original, context.ResourceId);
        return Task.CompletedTask;
    }

    public Task ResyncAsync(ResyncContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        LogNoResync(logger, context.ResourceType, context.Resource.Original, context.Reason);
        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "No handler for {ResourceType}: {ChangeType} {Resource} (id {ResourceId})")]
    private static partial void LogChange(ILogger logger, ResourceType resourceType, string changeType, string resource, string? resourceId);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "No handler for {ResourceType} to resync {Resource} after {Reason}")]
    private static partial void LogNoResync(ILogger logger, ResourceType resourceType, string resource, string reason);
}
