using ChangeNotifications.Dispatching;
using ChangeNotifications.Resources;
using Microsoft.Graph.Models;

namespace ChangeNotifications.Handlers;

/// <summary>
/// What every built-in handler shares: <c>deleted</c> logs the id without fetching (the item is gone),
/// a 404 or 410 while fetching is logged and ends the work (the item was deleted or moved since; retrying cannot
/// help), any other error propagates to the dispatcher, which retries it or dead-letters it at once
/// (<see cref="HandlingFailure"/>). A resync logs how many items it found.
/// </summary>
public abstract partial class GraphChangeHandler(ILogger logger) : IChangeNotificationHandler
{
    /// <summary>At most this many items are listed by a list-based resync.</summary>
    protected const int ResyncLimit = 200;

    public abstract ResourceType ResourceType { get; }

    protected ILogger Logger { get; } = logger;

    /// <summary>True when a <c>deleted</c> notification names an item that is gone, so it is logged without fetching.
    /// False for chat (soft deletes still answer) and for driveItem / list (their notifications name no item).</summary>
    protected virtual bool DeletedNeedsNoFetch => true;

    public async Task HandleAsync(ChangeNotificationContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Notification.ChangeType == ChangeType.Deleted && DeletedNeedsNoFetch)
        {
            LogDeleted(Logger, ResourceType, context.ResourceId ?? LastId(context.Resource), context.Resource.Original);
            return;
        }

        try
        {
            await HandleChangeAsync(context, cancellationToken);
        }
        catch (Exception error) when (HandlingFailure.Classify(error) is { IsGone: true } gone)
        {
            LogGone(Logger, ResourceType, context.ChangeTypeName, context.Resource.Original, gone.Status, gone.ErrorCode);
        }
    }

    public async Task ResyncAsync(ResyncContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            var found = await ResyncItemsAsync(context, cancellationToken);
            LogResynced(Logger, ResourceType, context.Subscription.Resource, context.Reason, found);
        }
        catch (Exception error) when (HandlingFailure.Classify(error) is { IsGone: true } gone)
        {
            LogGone(Logger, ResourceType, "resync", context.Subscription.Resource, gone.Status, gone.ErrorCode);
        }
    }

    /// <summary>Fetch what changed and log it.</summary>
    protected abstract Task HandleChangeAsync(ChangeNotificationContext context, CancellationToken cancellationToken);

    /// <summary>Catch up on the subscription's resource; returns how many items were found (and logged).</summary>
    protected abstract Task<int> ResyncItemsAsync(ResyncContext context, CancellationToken cancellationToken);

    /// <summary>The id after <paramref name="collection"/> in the notification's resource, else <c>resourceData.id</c>.</summary>
    protected static string RequireId(ChangeNotificationContext context, string collection)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Resource.LastIdAfter(collection) ?? context.ResourceId
            ?? throw new PermanentNotificationException($"The notification's resource '{context.Resource.Original}' names no id after '{collection}'.");
    }

    /// <summary>The id after <paramref name="collection"/> in <paramref name="path"/>.</summary>
    protected static string RequireId(ResourcePath path, string collection)
    {
        ArgumentNullException.ThrowIfNull(path);
        return path.IdAfter(collection)
            ?? throw new PermanentNotificationException($"The resource '{path.Original}' names no id after '{collection}'.");
    }

    /// <summary>The subscription's resource when known (it is what delta keys and collections are named by), else the notification's.</summary>
    protected static ResourcePath SubscribedPath(ChangeNotificationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Subscription is { } subscription ? ResourcePath.Parse(subscription.Resource) : context.Resource;
    }

    private static string? LastId(ResourcePath path) => path.Segments.Count % 2 == 0 && path.Segments.Count > 0 ? path.Segments[^1] : null;

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "ResourceDeleted {ResourceType} {ResourceId} ({Resource})")]
    private static partial void LogDeleted(ILogger logger, ResourceType resourceType, string? resourceId, string resource);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "ResourceGone {ResourceType} {ChangeType} {Resource}: Graph answered {StatusCode} ({ErrorCode}); deleted or moved since, not retried")]
    private static partial void LogGone(ILogger logger, ResourceType resourceType, string changeType, string resource, string statusCode, string? errorCode);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Information, Message = "ResyncCompleted {ResourceType} {Resource} after {Reason}: {ItemCount} item(s) found")]
    private static partial void LogResynced(ILogger logger, ResourceType resourceType, string resource, string reason, int itemCount);
}
