using ChangeNotifications.Dispatching;
using ChangeNotifications.Graph;
using ChangeNotifications.GraphEmulator.Tenant;
using ChangeNotifications.Resources;
using ChangeNotifications.Tests.Handlers;
using HandlerNotifications = ChangeNotifications.Tests.Handlers.Notifications;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;

namespace ChangeNotifications.Tests.Logging;

/// <summary>
/// Handler lines in the service as it is wired: ids and change type always; names, addresses, subjects and text only
/// while <c>Logging:PersonalData</c> allows it, which by default it does in Emulator mode and not in Live mode.
/// </summary>
public sealed class PersonalDataLogTests : IAsyncLifetime
{
    private readonly EmulatedTenant _tenant = new(TimeProvider.System);
    private EmulatorFixture? _emulator;

    public async Task InitializeAsync() => _emulator = await EmulatorFixture.StartAsync(o => o.Tenant = _tenant);

    public async Task DisposeAsync() => await _emulator!.DisposeAsync();

    [Theory]
    [InlineData("Emulator", null, true)]
    [InlineData("Live", null, false)]
    [InlineData("Live", "true", true)]
    [InlineData("Emulator", "false", false)]
    public async Task A_message_line_carries_subject_and_sender_only_where_personal_data_is_allowed(string mode, string? setting, bool shown)
    {
        var lines = new SerilogLines();
        using var service = Service(mode, setting, lines);
        var resource = $"users/{SeedIds.UserId}/messages";
        var change = _tenant.MakeChange(resource, "created")!;
        var subject = (string)System.Text.Json.Nodes.JsonNode.Parse(change.ResourceJson!)!["subject"]!;

        await Handler(service, ResourceType.Message).HandleAsync(HandlerNotifications.ContextFor(change, HandlerHarness.Subscription(resource)), CancellationToken.None);

        var line = Assert.Single(service.Logs.GetSnapshot(), r => r.Id.Id == 5101);
        Assert.Equal("created", line.Prop("ChangeType"));
        Assert.Equal(change.ResourceId, line.Prop("MessageId"));
        Assert.Equal(shown ? subject : string.Empty, line.Prop("Subject"));
        Assert.Equal(shown ? "megan@contoso.example" : string.Empty, line.Prop("From"));
        var written = Assert.Single(lines.Snapshot(), l => l.Text.Contains("MessageChanged", StringComparison.Ordinal));
        Assert.Contains(change.ResourceId!, written.Text, StringComparison.Ordinal);
        Assert.Equal(shown, written.Text.Contains(subject, StringComparison.Ordinal));
        Assert.Equal(shown, lines.Text().Contains("megan@contoso.example", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Live_mode_chat_lines_keep_the_ids_and_drop_text_and_sender()
    {
        var lines = new SerilogLines();
        using var service = Service("Live", null, lines);
        var chat = $"teams/{SeedIds.TeamId}/channels/{SeedIds.ChannelId}/messages";
        var chatChange = _tenant.MakeChange(chat, "created")!;

        await Handler(service, ResourceType.ChatMessage).HandleAsync(HandlerNotifications.ContextFor(chatChange, HandlerHarness.Subscription(chat)), CancellationToken.None);

        var line = Assert.Single(service.Logs.GetSnapshot(), r => r.Id.Id == 5201);
        Assert.Equal(chatChange.ResourceId, line.Prop("MessageId"));
        Assert.Equal(string.Empty, line.Prop("Text"));
        Assert.Equal(string.Empty, line.Prop("Sender"));
        var text = (string)System.Text.Json.Nodes.JsonNode.Parse(chatChange.ResourceJson!)!["body"]!["content"]!;
        Assert.DoesNotContain(ChatTextOf(text), lines.Text(), StringComparison.Ordinal);
    }

    private static string ChatTextOf(string html) => System.Text.RegularExpressions.Regex.Replace(html, "<[^>]+>", string.Empty).Trim()[..20];

    private ServiceFactory Service(string mode, string? personalData, SerilogLines lines)
    {
        var service = new ServiceFactory()
            .WithSetting("Graph:Mode", mode)
            .WithSetting("Logging:PersonalData", personalData)
            .WithServices(s => s
                .AddSingleton<ILogEventSink>(lines)
                .AddSingleton<IGraphClientProvider>(new AppOnlyGraphClientProvider(_emulator!.Graph)));
        if (mode == "Live")
        {
            service.WithSetting("Graph:TenantId", SeedIds.TenantId)
                .WithSetting("Graph:ClientId", Guid.NewGuid().ToString())
                .WithSetting("Graph:ClientSecret", "not-used-the-graph-client-is-the-emulators")
                .WithSetting("Subscriptions:NotificationUrl", "https://contoso-webhooks.example.net/api/notifications");
        }

        return service;
    }

    private static IChangeNotificationHandler Handler(ServiceFactory service, ResourceType type) =>
        service.Services.GetServices<IChangeNotificationHandler>().Last(h => h.ResourceType == type);
}
