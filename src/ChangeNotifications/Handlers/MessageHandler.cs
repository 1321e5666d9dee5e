using ChangeNotifications.Dispatching;
using ChangeNotifications.Graph;
using ChangeNotifications.Logging;
using ChangeNotifications.Resources;
using Microsoft.Graph;
using Microsoft.Graph.Models;

namespace ChangeNotifications.Handlers;

/// <summary>Outlook mail: fetches subject, sender and received time. Resync: delta on the subscribed folder, else the latest messages.</summary>
internal sealed partial class MessageHandler(IGraphClientProvider graphClients, DeltaSync delta, ILogger<MessageHandler> logger) : GraphChangeHandler(logger)
{
    private static readonly string[] Fields = ["subject", "from", "receivedDateTime"];

    public override ResourceType ResourceType => ResourceType.Message;

    protected override async Task HandleChangeAsync(ChangeNotificationContext context, CancellationToken cancellationToken)
    {
        var userId = RequireId(context.Resource, "users");
        var id = RequireId(context, "messages");
        var message = await graphClients.ForApp().Users[userId].Messages[id].GetAsync(r => r.QueryParameters.Select = Fields, cancellationToken);
        Log(context.ChangeTypeName, id, message);
    }

    protected override async Task<int> ResyncItemsAsync(ResyncContext context, CancellationToken cancellationToken)
    {
        var path = context.Resource;
        var user = graphClients.ForApp().Users[RequireId(path, "users")];
        IReadOnlyList<Message> found;
        if (path.IdAfter("mailfolders") is { } folderId)
        {
            var messages = user.MailFolders[folderId].Messages.Delta;
            found = await delta.ReadChangesAsync(
                $"{ResourceType}:{path.Normalized}",
                DeltaStart.Full,
                DeltaSync.QueryByUrl<Microsoft.Graph.Users.Item.MailFolders.Item.Messages.Delta.DeltaGetResponse>(
                    messages.ToGetRequestInformation(r => r.QueryParameters.Select = Fields),
                    (url, ct) => messages.WithUrl(url).GetAsDeltaGetResponseAsync(cancellationToken: ct)),
                page => page.Value,
                cancellationToken);
        }
        else
        {
            found = await GraphPages.ReadAsync(
                ct => user.Messages.GetAsync(r => r.QueryParameters.Select = Fields, ct),
                (url, ct) => user.Messages.WithUrl(url).GetAsync(cancellationToken: ct),
                page => page.Value,
                ResyncLimit,
                cancellationToken);
        }

        foreach (var message in found)
        {
            Log(message.AdditionalData.ContainsKey("@removed") ? "deleted" : "resync", message.Id, message);
        }

        return found.Count;
    }

    private void Log(string changeType, string? id, Message? message) =>
        LogMessageChanged(Logger, changeType, id, message?.Subject, message?.From?.EmailAddress?.Address, message?.ReceivedDateTime);

    [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "MessageChanged {ChangeType} {MessageId} {Subject} {From} {ReceivedAt:o}")]
    private static partial void LogMessageChanged(ILogger logger, string changeType, string? messageId, [PersonalData] string? subject, [PersonalData] string? from, DateTimeOffset? receivedAt);
}
