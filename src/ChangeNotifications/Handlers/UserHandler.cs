using ChangeNotifications.Dispatching;
using ChangeNotifications.Resources;
using Microsoft.Graph;
using Microsoft.Graph.Models;

namespace ChangeNotifications.Handlers;

/// <summary>
/// Directory users: fetches display name, UPN and job title (<c>updated</c> also means created or soft-deleted;
/// a soft-deleted user answers 404, logged as gone). Collection paths and resync: delta on <c>/users</c>.
/// </summary>
public sealed partial class UserHandler(GraphServiceClient graph, DeltaSync delta, ILogger<UserHandler> logger) : GraphChangeHandler(logger)
{
    private static readonly string[] Fields = ["displayName", "userPrincipalName", "jobTitle"];

    public override ResourceType ResourceType => ResourceType.User;

    protected override async Task HandleChangeAsync(ChangeNotificationContext context, CancellationToken cancellationToken)
    {
        if ((context.Resource.IdAfter("users") ?? context.ResourceId) is not { } id)
        {
            await ReadDeltaAsync(SubscribedPath(context), DeltaStart.Latest, cancellationToken);
            return;
        }

        var user = await graph.Users[id].GetAsync(r => r.QueryParameters.Select = Fields, cancellationToken);
        Log(context.ChangeTypeName, id, user);
    }

    protected override async Task<int> ResyncItemsAsync(ResyncContext context, CancellationToken cancellationToken)
    {
        if (context.Resource.IdAfter("users") is { } id)
        {
            Log("resync", id, await graph.Users[id].GetAsync(r => r.QueryParameters.Select = Fields, cancellationToken));
            return 1;
        }

        return await ReadDeltaAsync(context.Resource, DeltaStart.Full, cancellationToken);
    }

    private async Task<int> ReadDeltaAsync(ResourcePath path, DeltaStart start, CancellationToken cancellationToken)
    {
        var users = graph.Users.Delta;
        var changes = await delta.ReadChangesAsync(
            $"{ResourceType}:{path.Normalized}",
            start,
            new DeltaSync.Query<Microsoft.Graph.Users.Delta.DeltaGetResponse>(
                (latest, ct) => latest
                    ? users.WithUrl(DeltaSync.LatestUrl(users.ToGetRequestInformation(r => r.QueryParameters.Select = Fields), "$deltatoken")).GetAsDeltaGetResponseAsync(cancellationToken: ct)
                    : users.GetAsDeltaGetResponseAsync(r => r.QueryParameters.Select = Fields, ct),
                (url, ct) => users.WithUrl(url).GetAsDeltaGetResponseAsync(cancellationToken: ct)),
            page => page.Value,
            cancellationToken);
        foreach (var user in changes)
        {
            Log(user.AdditionalData.ContainsKey("@removed") ? "deleted" : "delta", user.Id, user);
        }

        return changes.Count;
    }

    private void Log(string changeType, string? id, User? user) =>
        LogUserChanged(Logger, changeType, id, user?.DisplayName, user?.UserPrincipalName, user?.JobTitle);

    [LoggerMessage(EventId = 5131, Level = LogLevel.Information, Message = "UserChanged {ChangeType} {UserId} {DisplayName} {UserPrincipalName} {JobTitle}")]
    private static partial void LogUserChanged(ILogger logger, string changeType, string? userId, string? displayName, string? userPrincipalName, string? jobTitle);
}
