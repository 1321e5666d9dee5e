using ChangeNotifications.Graph;
using ChangeNotifications.Logging;
using ChangeNotifications.Resources;
using Microsoft.Graph;
using Microsoft.Graph.Groups.Delta;
using Microsoft.Graph.Models;
using Microsoft.Kiota.Abstractions;

namespace ChangeNotifications.Handlers;

/// <summary>
/// Groups (also their members / owners): fetches the group's name and, when the subscription watches
/// members or owners, counts them. Collection paths and resync: delta on <c>/groups</c>.
/// </summary>
internal sealed partial class GroupHandler(IGraphClientProvider graphClients, DeltaSync delta, ILogger<GroupHandler> logger)
    : DirectoryChangeHandler<DeltaGetResponse, Group>(delta, logger)
{
    private static readonly string[] Fields = ["displayName", "description"];
    private static readonly string[] IdOnly = ["id"];

    public override ResourceType ResourceType => ResourceType.Group;

    protected override string Collection => "groups";

    protected override async Task FetchAsync(string changeType, string id, ResourcePath subscribed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscribed);
        var group = graphClients.ForApp().Groups[id];
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

    protected override RequestInformation DeltaRequest() => graphClients.ForApp().Groups.Delta.ToGetRequestInformation(r => r.QueryParameters.Select = Fields);

    protected override Task<DeltaGetResponse?> GetDeltaPageAsync(string url, CancellationToken cancellationToken) =>
        graphClients.ForApp().Groups.Delta.WithUrl(url).GetAsDeltaGetResponseAsync(cancellationToken: cancellationToken);

    protected override List<Group>? ItemsOf(DeltaGetResponse page) => page.Value;

    protected override void LogDelta(string changeType, Group item) =>
        LogGroupChanged(Logger, changeType, item.Id, item.DisplayName, item.Description, null, null);

    [LoggerMessage(EventId = 5141, Level = LogLevel.Information, Message = "GroupChanged {ChangeType} {GroupId} {DisplayName} {Description} members={MemberCount} owners={OwnerCount}")]
    private static partial void LogGroupChanged(ILogger logger, string changeType, string? groupId, [PersonalData] string? displayName, [PersonalData] string? description, int? memberCount, int? ownerCount);
}
