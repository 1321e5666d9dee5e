using ChangeNotifications.Dispatching;
using ChangeNotifications.Resources;
using Microsoft.Graph.Models;
using Microsoft.Kiota.Abstractions;

namespace ChangeNotifications.Handlers;

/// <summary>
/// A directory collection (users, groups): a notification or resync naming an item fetches it; one naming none runs a
/// delta round on the collection, starting from the current delta link (<c>$deltatoken=latest</c>) the first time; a
/// resync of the collection with no stored link enumerates it once. Delta marks removed items with <c>@removed</c>.
/// </summary>
/// <typeparam name="TPage">The collection's delta response.</typeparam>
/// <typeparam name="TItem">The directory object it lists.</typeparam>
internal abstract class DirectoryChangeHandler<TPage, TItem>(DeltaSync delta, ILogger logger) : GraphChangeHandler(logger)
    where TPage : BaseDeltaFunctionResponse
    where TItem : DirectoryObject
{
    /// <summary>The path segment the item id follows (<c>users</c>, <c>groups</c>).</summary>
    protected abstract string Collection { get; }

    protected override async Task HandleChangeAsync(ChangeNotificationContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var subscribed = SubscribedPath(context);
        if ((context.Resource.IdAfter(Collection) ?? context.ResourceId) is not { } id)
        {
            await ReadDeltaAsync(subscribed, DeltaStart.Latest, cancellationToken);
            return;
        }

        await FetchAsync(context.ChangeTypeName, id, subscribed, cancellationToken);
    }

    protected override async Task<int> ResyncItemsAsync(ResyncContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Resource.IdAfter(Collection) is { } id)
        {
            await FetchAsync("resync", id, context.Resource, cancellationToken);
            return 1;
        }

        return await ReadDeltaAsync(context.Resource, DeltaStart.Full, cancellationToken);
    }

    /// <summary>Fetches item <paramref name="id"/> and logs it as <paramref name="changeType"/>.</summary>
    protected abstract Task FetchAsync(string changeType, string id, ResourcePath subscribed, CancellationToken cancellationToken);

    /// <summary>The first request of a delta round on the collection, with the fields to select.</summary>
    protected abstract RequestInformation DeltaRequest();

    /// <summary>One delta page by URL (the first request's, a next link or a delta link).</summary>
    protected abstract Task<TPage?> GetDeltaPageAsync(string url, CancellationToken cancellationToken);

    protected abstract List<TItem>? ItemsOf(TPage page);

    /// <summary>Logs one item a delta round reported, as <c>delta</c> or <c>deleted</c>.</summary>
    protected abstract void LogDelta(string changeType, TItem item);

    private async Task<int> ReadDeltaAsync(ResourcePath path, DeltaStart start, CancellationToken cancellationToken)
    {
        var changes = await delta.ReadChangesAsync(
            $"{ResourceType}:{path.Normalized}",
            start,
            DeltaSync.QueryByUrl<TPage>(DeltaRequest(), GetDeltaPageAsync, "$deltatoken"),
            ItemsOf,
            cancellationToken);
        foreach (var item in changes)
        {
            LogDelta(item.AdditionalData.ContainsKey("@removed") ? "deleted" : "delta", item);
        }

        return changes.Count;
    }
}
