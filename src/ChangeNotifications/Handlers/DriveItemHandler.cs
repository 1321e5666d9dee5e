using ChangeNotifications.Dispatching;
using ChangeNotifications.Graph;
using ChangeNotifications.Logging;
using ChangeNotifications.Resources;
using Microsoft.Graph;
using Microsoft.Graph.Drives.Item.Items.Item.Delta;
using Microsoft.Graph.Models;

namespace ChangeNotifications.Handlers;

/// <summary>
/// OneDrive (personal and for Business): the notification names no item, so it runs the drive's delta
/// query from the stored delta link (taken when the subscription was created or adopted, no replay of the
/// whole drive) and logs each changed item (name, path, change), then stores the new link; a resync with
/// no link enumerates the drive once.
/// </summary>
internal sealed partial class DriveItemHandler(IGraphClientProvider graphClients, DeltaSync delta, ILogger<DriveItemHandler> logger) : DeltaChangeHandler(logger)
{
    private static readonly string[] Fields = ["id", "name", "parentReference", "file", "folder", "root", "deleted", "createdDateTime", "lastModifiedDateTime"];
    private static readonly string[] DriveFields = ["id"];

    public override ResourceType ResourceType => ResourceType.DriveItem;

    protected override async Task<int> SyncAsync(ResourcePath path, DeltaStart start, CancellationToken cancellationToken)
    {
        var driveId = path.IdAfter("drives")
            ?? (await graphClients.ForApp().Users[RequireId(path, "users")].Drive.GetAsync(r => r.QueryParameters.Select = DriveFields, cancellationToken))?.Id
            ?? throw new PermanentNotificationException($"No drive found for '{path.Original}'.");
        var folder = graphClients.ForApp().Drives[driveId].Items[path.IdAfter("items") ?? "root"].Delta;
        var changes = await delta.ReadChangesAsync(
            $"{ResourceType}:{path.Normalized}",
            start,
            DeltaSync.QueryByUrl<DeltaGetResponse>(
                folder.ToGetRequestInformation(r => r.QueryParameters.Select = Fields),
                (url, ct) => folder.WithUrl(url).GetAsDeltaGetResponseAsync(cancellationToken: ct)),
            page => page.Value,
            cancellationToken);
        var items = changes.Where(item => item.Root is null).ToList();
        foreach (var item in items)
        {
            LogDriveItemChanged(Logger, ChangeOf(item.Deleted is not null, item.CreatedDateTime, item.LastModifiedDateTime), driveId, item.Id, item.Name, PathOf(item));
        }

        return items.Count;
    }

    private static string? PathOf(DriveItem item)
    {
        var parent = item.ParentReference?.Path;
        var relative = parent is null ? null : parent[(parent.IndexOf(':', StringComparison.Ordinal) + 1)..];
        return $"{relative}/{item.Name}";
    }

    [LoggerMessage(EventId = 5161, Level = LogLevel.Information, Message = "DriveItemChanged {Change} {DriveId} {ItemId} {Name} {Path}")]
    private static partial void LogDriveItemChanged(ILogger logger, string change, string driveId, string? itemId, [PersonalData] string? name, [PersonalData] string? path);
}
