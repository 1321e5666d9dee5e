using System.Globalization;
using System.Net;
using System.Text.Json;
using ChangeNotifications.Inbox;
using ChangeNotifications.Resources;
using ChangeNotifications.Subscriptions;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Testing;

namespace ChangeNotifications.Tests.Security;

/// <summary>
/// The service in-process (main's <see cref="ServiceFactory"/>, real intake, inbox and dispatcher) set up for rich
/// notifications: a loopback metadata server for validation tokens, and a chatMessage subscription with a recording handler.
/// </summary>
internal sealed class RichService : IAsyncDisposable
{
    public const string ChatsResource = "/chats/getAllMessages";
    public const string AppId = "3f9a8b7c-6d5e-4f3a-9b8c-7d6e5f4a3b2c";
    public const string TenantId = Payloads.TenantId;

    private RichService(MetadataServer metadata, ServiceFactory service)
    {
        Metadata = metadata;
        Service = service;
        Subscription = service.Subscriptions.Add(ChatsResource);
    }

    public MetadataServer Metadata { get; }

    public ServiceFactory Service { get; }

    public RecordingHandler Handler { get; } = new(ResourceType.ChatMessage);

    public SubscriptionRecord Subscription { get; }

    public DateTimeOffset Now => Service.Time.GetUtcNow();

    public static async Task<RichService> StartAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var metadata = await MetadataServer.StartAsync();
        var service = new ServiceFactory()
            .WithSetting("Graph:Mode", "Emulator")
            .WithSetting("RichNotifications:MetadataAddress", metadata.MetadataAddress)
            .WithSetting("RichNotifications:AppIds:0", AppId);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            service.WithSetting(key, value);
        }

        var rich = new RichService(metadata, service);
        service.WithHandler(rich.Handler);
        _ = service.Server;
        return rich;
    }

    /// <summary>A token Graph would send for this service: right tenant, audience and publisher, valid now.</summary>
    public ValidationTokens.Spec GoodToken => new(TenantId, AppId, Now);

    public string Token(ValidationTokens.Spec? spec = null) => ValidationTokens.Create(spec ?? GoodToken, Metadata.SigningKey);

    public string ChatItem(GraphEncryption.EncryptedContent? content, string? messageId = null)
    {
        var id = messageId ?? Guid.NewGuid().ToString("N");
        var encrypted = content is null ? string.Empty : $"\"encryptedContent\": {content.ToJson()},";
        return $$"""
            {
              "id": "{{Guid.NewGuid():N}}",
              "subscriptionId": "{{Subscription.GraphId}}",
              "subscriptionExpirationDateTime": "{{Subscription.ExpiresAt?.ToString("O", CultureInfo.InvariantCulture)}}",
              "clientState": "{{Subscription.ClientState}}",
              "changeType": "created",
              "resource": "chats('19:emulated-chat@thread.v2')/messages('{{id}}')",
              "tenantId": "{{TenantId}}",
              {{encrypted}}
              "resourceData": {
                "@odata.type": "#Microsoft.Graph.chatMessage",
                "@odata.id": "chats('19:emulated-chat@thread.v2')/messages('{{id}}')",
                "id": "{{id}}"
              }
            }
            """;
    }

    /// <summary>Posts a batch to the real endpoint (202 expected), with <paramref name="tokens"/> as its validationTokens.</summary>
    public async Task PostAsync(IReadOnlyList<string>? tokens, params string[] items)
    {
        var batch = tokens is null
            ? Payloads.Batch(items)
            : $$"""{ "value": [ {{string.Join(",", items)}} ], "validationTokens": {{JsonSerializer.Serialize(tokens)}} }""";
        using var client = Service.CreateClient();
        var response = await client.PostAsync("/api/notifications", Payloads.Json(batch));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    public async Task DispatchAllAsync()
    {
        while (await Service.Dispatcher.RunOnceAsync(default) > 0)
        {
        }
    }

    public Task<InboxCounts> CountsAsync() => Service.Inbox.CountAsync(default);

    public Task<IReadOnlyList<InboxItem>> DeadLettersAsync() => Service.Inbox.ListDeadLettersAsync(100, default);

    public IReadOnlyList<FakeLogRecord> Logs => Service.Logs.GetSnapshot();

    /// <summary>True when any log record (message, structured values, exception) contains <paramref name="text"/>.</summary>
    public bool LogsContain(string text) => Logs.Any(r =>
        r.Message.Contains(text, StringComparison.Ordinal) ||
        (r.Exception?.ToString().Contains(text, StringComparison.Ordinal) ?? false) ||
        (r.StructuredState?.Any(p => p.Value?.Contains(text, StringComparison.Ordinal) ?? false) ?? false));

    public async ValueTask DisposeAsync()
    {
        await Service.DisposeAsync();
        await Metadata.DisposeAsync();
    }
}
