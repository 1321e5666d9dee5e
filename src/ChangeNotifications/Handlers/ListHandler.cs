using ChangeNotifications.Dispatching;
using ChangeNotifications.Graph;
using ChangeNotifications.Logging;
using ChangeNotifications.Resources;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Graph.Sites.Item.Lists.Item.Items.Delta;

namespace ChangeNotifications.Handlers;

/// <summary>
/// SharePoint lists: the notification names no item, so it runs the list items' delta query from the
/// stored delta link (taken when the subscription was created or adopted) and logs each changed item (title, URL, change).
/// </summary>
internal sealed partial class ListHandler(IGraphClientProvider graphClients, DeltaSync delta, ILogger<ListHandler> logger) : DeltaChangeHandler(logger)
{
    private static readonly string[] Fields = ["id", "webUrl", "deleted", "createdDateTime", "lastModifiedDateTime"];
    private static readonly string[] Expand = ["fields($select=Title)"];

    public override ResourceType ResourceType => ResourceType.List;

    protected override async Task<int> SyncAsync(ResourcePath path, DeltaStart start, CancellationToken cancellationToken)
    {
        var listId = RequireId(path, "lists");
        var items = graphClients.ForApp().Sites[RequireId(path, "sites")].Lists[listId].Items.Delta;
        var changes = await delta.ReadChangesAsync(
            $"{ResourceType}:{path.Normalized}",
            start,
            DeltaSync.QueryByUrl<DeltaGetResponse>(
                items.ToGetRequestInformation(Query),
                (url, ct) => items.WithUrl(url).GetAsDeltaGetResponseAsync(cancellationToken: ct)),
            page => page.Value,
            cancellationToken);
        foreach (var item in changes)
        {
            var change = ChangeOf(item.Deleted is not null, item.CreatedDateTime, item.LastModifiedDateTime);
            var title = AdditionalDataText.Get(item.Fields?.AdditionalData, "Title");
            LogListItemChanged(Logger, change, listId, item.Id, title, item.WebUrl);
        }

        return changes.Count;
    }

    private static void Query(Microsoft.Kiota.Abstractions.RequestConfiguration<DeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters> request)
    {
        request.QueryParameters.Select = Fields;
        request.QueryParameters.Expand = Expand;
    }

    [LoggerMessage(EventId = 5171, Level = LogLevel.Information, Message = "ListItemChanged {Change} {ListId} {ItemId} {Title} {WebUrl}")]
    private static partial void LogListItemChanged(ILogger logger, string change, string listId, string? itemId, [PersonalData] string? title, [PersonalData] string? webUrl);
}
