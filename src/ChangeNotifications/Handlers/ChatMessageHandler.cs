using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using ChangeNotifications.Dispatching;
using ChangeNotifications.Graph;
using ChangeNotifications.Logging;
using ChangeNotifications.Resources;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Kiota.Serialization.Json;

namespace ChangeNotifications.Handlers;

/// <summary>
/// Teams channel and chat messages: uses the decrypted message of a rich notification, else fetches it
/// (Graph's get chatMessage takes no <c>$select</c>); logs the sender and the text, tags stripped and cut to
/// <see cref="PreviewLength"/> characters. Resync: lists the channel's or chat's messages.
/// </summary>
internal sealed partial class ChatMessageHandler(IGraphClientProvider graphClients, ILogger<ChatMessageHandler> logger) : GraphChangeHandler(logger)
{
    /// <summary>How much of a message's text is logged.</summary>
    public const int PreviewLength = 80;

    public override ResourceType ResourceType => ResourceType.ChatMessage;

    protected override async Task HandleChangeAsync(ChangeNotificationContext context, CancellationToken cancellationToken)
    {
        var path = context.Resource;
        var fromResourceData = context.DecryptedContent is not null;
        var message = fromResourceData ? await ParseAsync(context.DecryptedContent!) : await FetchAsync(path, context.ResourceId, cancellationToken);
        Log(context.ChangeTypeName, message?.Id ?? context.ResourceId, message, fromResourceData);
    }

    protected override async Task<int> ResyncItemsAsync(ResyncContext context, CancellationToken cancellationToken)
    {
        var path = context.Resource;
        List<ChatMessage> found;
        if (path.IdAfter("chats") is { } chatId && chatId != "getallmessages")
        {
            var messages = graphClients.ForApp().Chats[chatId].Messages;
            found = await GraphPages.ReadAsync(
                ct => messages.GetAsync(cancellationToken: ct),
                (url, ct) => messages.WithUrl(url).GetAsync(cancellationToken: ct),
                page => page.Value, ResyncLimit, cancellationToken);
        }
        else if (path.IdAfter("teams") is { } teamId && path.IdAfter("channels") is { } channelId)
        {
            var messages = graphClients.ForApp().Teams[teamId].Channels[channelId].Messages;
            found = await GraphPages.ReadAsync(
                ct => messages.GetAsync(cancellationToken: ct),
                (url, ct) => messages.WithUrl(url).GetAsync(cancellationToken: ct),
                page => page.Value, ResyncLimit, cancellationToken);
        }
        else
        {
            LogOrgWideResyncSkipped(Logger, path.Original);
            return 0;
        }

        found.ForEach(message => Log("resync", message.Id, message, fromResourceData: false));
        return found.Count;
    }

    /// <summary>Chat deletes are soft: the message still answers, with <c>deletedDateTime</c> set.</summary>
    protected override bool DeletedNeedsNoFetch => false;

    private async Task<ChatMessage?> FetchAsync(ResourcePath path, string? resourceId, CancellationToken cancellationToken)
    {
        var messageId = path.IdAfter("messages") ?? resourceId
            ?? throw new PermanentNotificationException($"The notification's resource '{path.Original}' names no message.");
        var replyId = path.IdAfter("replies");
        if (path.IdAfter("chats") is { } chatId)
        {
            return await graphClients.ForApp().Chats[chatId].Messages[messageId].GetAsync(cancellationToken: cancellationToken);
        }

        var message = graphClients.ForApp().Teams[RequireId(path, "teams")].Channels[RequireId(path, "channels")].Messages[messageId];
        return replyId is null
            ? await message.GetAsync(cancellationToken: cancellationToken)
            : await message.Replies[replyId].GetAsync(cancellationToken: cancellationToken);
    }

    private static async Task<ChatMessage?> ParseAsync(string json)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(json));
        var root = await new JsonParseNodeFactory().GetRootParseNodeAsync("application/json", stream);
        return root.GetObjectValue(ChatMessage.CreateFromDiscriminatorValue);
    }

    private void Log(string changeType, string? id, ChatMessage? message, bool fromResourceData) =>
        LogChatMessageChanged(Logger, changeType, id,
            message?.From?.User?.DisplayName ?? message?.From?.Application?.DisplayName,
            message?.DeletedDateTime is null ? Preview(message?.Body) : "(deleted)",
            fromResourceData);

    /// <summary>The message's text without markup, whitespace collapsed, cut to <see cref="PreviewLength"/>.</summary>
    internal static string? Preview(ItemBody? body)
    {
        if (body?.Content is not { } content)
        {
            return null;
        }

        var text = body.ContentType == BodyType.Html ? WebUtility.HtmlDecode(Tags().Replace(content, " ")) : content;
        text = Spaces().Replace(text, " ").Trim();
        return text.Length <= PreviewLength ? text : string.Concat(text.AsSpan(0, PreviewLength - 1), "…");
    }

    [GeneratedRegex("<[^>]*>", RegexOptions.CultureInvariant)]
    private static partial Regex Tags();

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Spaces();

    [LoggerMessage(EventId = 5201, Level = LogLevel.Information, Message = "ChatMessageChanged {ChangeType} {MessageId} from {Sender}: {Text} (from resource data: {FromResourceData})")]
    private static partial void LogChatMessageChanged(ILogger logger, string changeType, string? messageId, [PersonalData] string? sender, [PersonalData] string? text, bool fromResourceData);

    [LoggerMessage(EventId = 5202, Level = LogLevel.Warning, Message = "ResyncSkipped {Resource}: an organisation-wide getAllMessages resync is not supported; resync a channel or chat instead")]
    private static partial void LogOrgWideResyncSkipped(ILogger logger, string resource);
}
