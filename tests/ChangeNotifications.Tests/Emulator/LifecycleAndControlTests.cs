using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ChangeNotifications.GraphEmulator.Lifecycle;
using ChangeNotifications.GraphEmulator.Tenant;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;

namespace ChangeNotifications.Tests.Emulator;

/// <summary>Lifecycle events (when due and on demand) and the control API over HTTP.</summary>
public sealed class LifecycleAndControlTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private static readonly string MessagesPath = $"users/{SeedIds.UserId}/messages";

    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private EmulatorFixture _emulator = null!;
    private LoopbackReceiver _receiver = null!;

    public async Task InitializeAsync()
    {
        _emulator = await EmulatorFixture.StartAsync(o =>
        {
            o.TimeProvider = _time;
            o.Tenant = new ScriptedTenant();
            o.AccessTokenLifetime = TimeSpan.FromDays(1);
        });
        _receiver = await LoopbackReceiver.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        await _emulator.DisposeAsync();
    }

    [Fact]
    public async Task Reauthorization_is_required_once_when_the_endpoint_token_nears_expiry()
    {
        var subscription = await SubscribeAsync();

        _time.Advance(TimeSpan.FromMinutes(44));
        var early = _emulator.Control.SendDueLifecycleEvents();
        _time.Advance(TimeSpan.FromMinutes(2));
        await _receiver.WaitForNotificationsAsync(1, Wait);
        var again = _emulator.Control.SendDueLifecycleEvents();

        Assert.Equal(0, early);
        Assert.Equal(0, again);
        var item = LifecycleItem(Assert.Single(_receiver.Notifications));
        Assert.Equal("reauthorizationRequired", item["lifecycleEvent"]!.GetValue<string>());
        Assert.Equal(subscription.Id, item["subscriptionId"]!.GetValue<string>());
        Assert.Equal("lifecycle-state", item["clientState"]!.GetValue<string>());
        Assert.Null(item["changeType"]);
    }

    [Fact]
    public async Task Reauthorizing_renews_the_endpoint_token_and_rearms_the_event()
    {
        var subscription = await SubscribeAsync();
        _time.Advance(TimeSpan.FromMinutes(46));
        await _receiver.WaitForNotificationsAsync(1, Wait);

        await _emulator.Graph.Subscriptions[subscription.Id].Reauthorize.PostAsync();
        var justRenewed = _emulator.Control.SendDueLifecycleEvents();
        _time.Advance(TimeSpan.FromMinutes(46));
        await _receiver.WaitForNotificationsAsync(2, Wait);

        Assert.Equal(0, justRenewed);
        Assert.All(_receiver.Notifications, n => Assert.Equal("reauthorizationRequired", LifecycleItem(n)["lifecycleEvent"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Subscription_removed_is_sent_and_the_subscription_is_gone()
    {
        var subscription = await SubscribeAsync();

        Assert.True(_emulator.Control.SendLifecycleEvent(Guid.Parse(subscription.Id!), LifecycleEvent.SubscriptionRemoved));
        await _receiver.WaitForNotificationsAsync(1, Wait);
        var error = await Assert.ThrowsAsync<ODataError>(() => _emulator.Graph.Subscriptions[subscription.Id].GetAsync());

        Assert.Equal("subscriptionRemoved", LifecycleItem(Assert.Single(_receiver.Notifications))["lifecycleEvent"]!.GetValue<string>());
        Assert.Equal(404, error.ResponseStatusCode);
    }

    [Fact]
    public async Task Missed_is_sent_to_the_lifecycle_url_only()
    {
        var subscription = await SubscribeAsync();

        Assert.True(_emulator.Control.SendLifecycleEvent(Guid.Parse(subscription.Id!), LifecycleEvent.Missed));
        await _receiver.WaitForNotificationsAsync(1, Wait);

        Assert.Equal("missed", LifecycleItem(Assert.Single(_receiver.Notifications))["lifecycleEvent"]!.GetValue<string>());
        Assert.Equal("/api/lifecycle", _receiver.NotificationPaths.Single());
    }

    [Fact]
    public async Task Control_endpoints_trigger_changes_and_report_counters()
    {
        await SubscribeAsync();
        using var http = _emulator.CreateHttpClient();

        using var trigger = await http.PostAsync(new Uri("_emulator/changes?resourceKind=message", UriKind.Relative), null);
        var queued = await trigger.Content.ReadFromJsonAsync<JsonObject>();
        await _receiver.WaitForNotificationsAsync(1, Wait);
        await _emulator.Control.WaitForCountersAsync(c => c.Delivered == 1, Wait);
        var counters = await http.GetFromJsonAsync<JsonObject>(new Uri("_emulator/counters", UriKind.Relative));
        using var throttle = await http.PostAsync(new Uri("_emulator/faults/throttle?count=4&retryAfterSeconds=0", UriKind.Relative), null);
        var throttled = await Assert.ThrowsAsync<AggregateException>(() => _emulator.Graph.Subscriptions.GetAsync());

        Assert.Equal(1, queued!["queued"]!.GetValue<int>());
        Assert.Equal(1, counters!["delivered"]!.GetValue<long>());
        Assert.Equal(HttpStatusCode.NoContent, throttle.StatusCode);
        Assert.Equal(4, throttled.InnerExceptions.Count);
    }

    [Fact]
    public async Task Control_endpoint_sends_a_lifecycle_event_and_resets()
    {
        var subscription = await SubscribeAsync();
        using var http = _emulator.CreateHttpClient();

        using var missed = await http.PostAsync(new Uri($"_emulator/subscriptions/{subscription.Id}/lifecycle/Missed", UriKind.Relative), null);
        await _emulator.Control.WaitForCountersAsync(c => c.Delivered == 1, Wait);
        using var reset = await http.PostAsync(new Uri("_emulator/reset", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.NoContent, missed.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        Assert.Empty(_emulator.Control.Subscriptions);
        Assert.Equal(0, _emulator.Control.Counters.Delivered);
    }

    private static JsonObject LifecycleItem(JsonObject body) => (JsonObject)Assert.Single(body["value"]!.AsArray())!;

    private async Task<Subscription> SubscribeAsync() =>
        (await _emulator.Graph.Subscriptions.PostAsync(new Subscription
        {
            ChangeType = "created",
            NotificationUrl = _receiver.Url.ToString(),
            LifecycleNotificationUrl = _receiver.UrlFor("/api/lifecycle").ToString(),
            Resource = MessagesPath,
            ExpirationDateTime = _time.GetUtcNow().AddDays(3),
            ClientState = "lifecycle-state",
        }))!;
}
