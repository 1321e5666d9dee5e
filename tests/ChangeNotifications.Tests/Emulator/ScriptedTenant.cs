using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using ChangeNotifications.GraphEmulator.Tenant;

namespace ChangeNotifications.Tests.Emulator;

/// <summary>
/// Test-only <see cref="IEmulatedTenant"/>: every change succeeds with a fresh id under the subscription's resource
/// (chat messages carry their JSON for rich notifications); <see cref="Changes"/> records what was asked.
/// </summary>
internal sealed class ScriptedTenant : IEmulatedTenant
{
    public ConcurrentQueue<(string Resource, string ChangeType)> Changes { get; } = new();

    public EmulatedChange? MakeChange(string subscriptionResource, string changeType)
    {
        Changes.Enqueue((subscriptionResource, changeType));
        var id = Guid.NewGuid().ToString();
        var isChat = subscriptionResource.Contains("messages", StringComparison.OrdinalIgnoreCase)
            && (subscriptionResource.StartsWith("teams", StringComparison.OrdinalIgnoreCase) || subscriptionResource.StartsWith("chats", StringComparison.OrdinalIgnoreCase));
        // A getAllMessages subscription is notified with the message's own path, in a chat or a channel, as Graph does.
        var trimmed = subscriptionResource.Trim('/');
        var path = trimmed.Equals("chats/getAllMessages", StringComparison.OrdinalIgnoreCase) ? $"chats('19:scripted@thread.v2')/messages('{id}')"
            : trimmed.Equals("teams/getAllMessages", StringComparison.OrdinalIgnoreCase) ? $"teams('scripted-team')/channels('19:scripted@thread.tacv2')/messages('{id}')"
            : $"{trimmed}('{id}')";
        var json = isChat
            ? new JsonObject
            {
                ["@odata.type"] = "#microsoft.graph.chatMessage",
                ["id"] = id,
                ["messageType"] = "message",
                ["body"] = new JsonObject { ["contentType"] = "text", ["content"] = $"hello {id}" },
            }.ToJsonString()
            : null;
        return new EmulatedChange(path, changeType, id, isChat ? "#Microsoft.Graph.chatMessage" : "#Microsoft.Graph.Message", path, "W/\"etag-1\"", json);
    }
}
