using ChangeNotifications.Dispatching;
using ChangeNotifications.Graph;
using ChangeNotifications.Logging;
using ChangeNotifications.Resources;
using Microsoft.Graph;

namespace ChangeNotifications.Handlers;

/// <summary>Group conversations: fetches the topic and the sender of the latest post. Resync: lists the conversations.</summary>
internal sealed partial class ConversationHandler(IGraphClientProvider graphClients, ILogger<ConversationHandler> logger) : GraphChangeHandler(logger)
{
    private static readonly string[] ConversationFields = ["topic", "lastDeliveredDateTime"];
    private static readonly string[] ThreadFields = ["id", "lastDeliveredDateTime"];
    private static readonly string[] PostFields = ["from", "receivedDateTime"];

    public override ResourceType ResourceType => ResourceType.Conversation;

    protected override Task HandleChangeAsync(ChangeNotificationContext context, CancellationToken cancellationToken) =>
        FetchAsync(context.ChangeTypeName, RequireId(context.Resource, "groups"), RequireId(context, "conversations"), cancellationToken);

    protected override async Task<int> ResyncItemsAsync(ResyncContext context, CancellationToken cancellationToken)
    {
        var groupId = RequireId(context.Resource, "groups");
        var conversations = graphClients.ForApp().Groups[groupId].Conversations;
        var found = await GraphPages.ReadAsync(
            ct => conversations.GetAsync(r => r.QueryParameters.Select = ["id"], ct),
            (url, ct) => conversations.WithUrl(url).GetAsync(cancellationToken: ct),
            page => page.Value,
            ResyncLimit,
            cancellationToken);
        foreach (var conversation in found)
        {
            await FetchAsync("resync", groupId, conversation.Id!, cancellationToken);
        }

        return found.Count;
    }

    private async Task FetchAsync(string changeType, string groupId, string id, CancellationToken cancellationToken)
    {
        var conversation = graphClients.ForApp().Groups[groupId].Conversations[id];
        var found = await conversation.GetAsync(r => r.QueryParameters.Select = ConversationFields, cancellationToken);
        var threads = await conversation.Threads.GetAsync(r => r.QueryParameters.Select = ThreadFields, cancellationToken);
        string? latestFrom = null;
        if (threads?.Value?.OrderByDescending(t => t.LastDeliveredDateTime).FirstOrDefault() is { Id: { } threadId })
        {
            var posts = await conversation.Threads[threadId].Posts.GetAsync(r => r.QueryParameters.Select = PostFields, cancellationToken);
            latestFrom = posts?.Value?.OrderByDescending(p => p.ReceivedDateTime).FirstOrDefault()?.From?.EmailAddress?.Address;
        }

        LogConversationChanged(Logger, changeType, id, found?.Topic, latestFrom, found?.LastDeliveredDateTime);
    }

    [LoggerMessage(EventId = 5151, Level = LogLevel.Information, Message = "ConversationChanged {ChangeType} {ConversationId} {Topic} latest post from {LatestPostFrom} at {LastDeliveredAt:o}")]
    private static partial void LogConversationChanged(ILogger logger, string changeType, string? conversationId, [PersonalData] string? topic, [PersonalData] string? latestPostFrom, DateTimeOffset? lastDeliveredAt);
}
