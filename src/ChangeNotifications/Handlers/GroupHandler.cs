using ChangeNotifications.Dispatching;
using ChangeNotifications.Resources;
using Microsoft.Graph;
using Microsoft.Graph.Models;

namespace ChangeNotifications.Handlers;

/// <summary>
/// Groups (also their members / owners): fetches the group's name and, when the subscription watches
/// members or owners, counts them. Collection paths and resync: delta on <c>/groups</c>.
/// </summary>
public sealed partial class GroupHandler(GraphServiceClient graph, DeltaSync delta, ILogger<GroupHandler> logger) : GraphChangeHandler(logger)
{
    private static readonly string[] Fields = ["displayName", "description"];
    private static readonly string[] IdOnly = ["id"];

    public override ResourceType ResourceType => ResourceType.Group;

    protected override async Task HandleChangeAsync(ChangeNotificationContext context, CancellationToken cancellationToken)
    {
        var subscribed = SubscribedPath(context);
        if ((context.Resource.IdAfter("groups") ?? context.ResourceId) is not { } id)
        {
            await ReadDeltaAsync(subscribed, DeltaStart.Latest, cancellationToken);
            return;
        }

        await FetchAsync(context.ChangeTypeName, id, subscribed, cancellationToken);
    }

    protected override async Task<int> ResyncItemsAsync(ResyncContext context, CancellationToken cancellationToken)
    {
        if (context.Resource.IdAfter("groups") is { } id)
        {
            await FetchAsync("resync", id, context.Resource, cancellationToken);
            return 1;
        }

        return await ReadDeltaAsync(context.Resource, DeltaStart.Full, cancellationToken);
    }

    private async Task FetchAsync(string changeType, string id, ResourcePath subscribed, CancellationToken cancellationToken)
    {
        var group = graph.Groups[id];
        var found = await group.GetAsync(r => r.QueryParameters.Select = Fields, cancellationToken);
        int? members = null;
        int? owners = null;
        if (subscribed.Segments.Contains("members"))
        {
            members = (await GraphPages.ReadAsync(
                ct => group.Members.GetAsync(r => r.QueryParameters.Select = IdOnly, ct),
                (url, ct) => group.Members.WithUrl(url).GetAsync(cancellationToken: ct),
                page => page.Value, int.MaxValue, cancellationToken)).Count;
        }

        if (subscribed.Segments.Contains("owners"))
        {
            owners = (await GraphPages.ReadAsync(
                ct => group.Owners.GetAsync(r => r.QueryParameters.Select = IdOnly, ct),
                (url, ct) => group.Owners.WithUrl(url).GetAsync(cancellationToken: ct),
                page => page.Value, int.MaxValue, cancellationToken)).Count;
        }

        LogGroupChanged(Logger, changeType, id, found?.DisplayName, found?.Description, members, owners);
    }

    private async Task<int> ReadDeltaAsync(ResourcePath path, DeltaStart start, CancellationToken cancellationToken)
    {
        var groups = graph.Groups.Delta;
        var changes = await delta.ReadChangesAsync(
            $"{ResourceType}:{path.Normalized}",
            start,
            new DeltaSync.Query<Microsoft.Graph.Groups.Delta.DeltaGetResponse>(
                (latest, ct) => latest
                    ? groups.WithUrl(DeltaSync.LatestUrl(groups.ToGetRequestInformation(r => r.QueryParameters.Select = Fields), "$deltatoken")).GetAsDeltaGetResponseAsync(cancellationToken: ct)
                    : groups.GetAsDeltaGetResponseAsync(r => r.QueryParameters.Select = Fields, ct),
                (url, ct) => groups.WithUrl(url).GetAsDeltaGetResponseAsync(cancellationToken: ct)),
            page => page.Value,
            cancellationToken);
        foreach (var group in changes)
        {
            LogGroupChanged(Logger, group.AdditionalData.ContainsKey("@removed") ? "deleted" : "delta", group.Id, group.DisplayName, group.Description, null, null);
        }

        return changes.Count;
    }

    [LoggerMessage(EventId = 5141, Level = LogLevel.Information, Message = "GroupChanged {ChangeType} {GroupId} {DisplayName} {Description} members={MemberCount} owners={OwnerCount}")]
    private static partial void LogGroupChanged(ILogger logger, string changeType, string? groupId, string? displayName, string? description, int? memberCount, int? ownerCount);
}
