using System.Text.Json.Nodes;
using ChangeNotifications.GraphEmulator.Delivery;
using ChangeNotifications.GraphEmulator.Tenant;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Graph.Models;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Serialization;
using Microsoft.Kiota.Serialization.Json;

namespace ChangeNotifications.Tests.Emulator;

/// <summary>Change notifications as the emulator delivers them: batching, payload, retries, slow / drop states.</summary>
public sealed class DeliveryTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private static readonly string MessagesPath = $"users/{SeedIds.UserId}/messages";
    private static readonly string EventsPath = $"users/{SeedIds.UserId}/events";

    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly ScriptedTenant _tenant = new();
    private EmulatorFixture _emulator = null!;
    private LoopbackReceiver _receiver = null!;

    static DeliveryTests() => ApiClientBuilder.RegisterDefaultDeserializer<JsonParseNodeFactory>();

    public async Task InitializeAsync()
    {
        _emulator = await EmulatorFixture.StartAsync(o =>
        {
            o.TimeProvider = _time;
            o.Tenant = _tenant;
            o.Retry.InitialDelay = TimeSpan.FromSeconds(5);
            o.Throttling.MinimumSamples = 1;
        });
        _receiver = await LoopbackReceiver.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        await _emulator.DisposeAsync();
    }

    [Fact]
    public async Task Changes_for_subscriptions_on_one_url_arrive_in_one_batch_as_graph_writes_them()
    {
        var messages = await SubscribeAsync(MessagesPath);
        var events = await SubscribeAsync(EventsPath);

        Assert.Equal(2, _emulator.Control.TriggerChange());
        await _receiver.WaitForNotificationsAsync(1, Wait);

        var body = Assert.Single(_receiver.Notifications);
        var collection = await KiotaJsonSerializer.DeserializeAsync(body.ToJsonString(), ChangeNotificationCollection.CreateFromDiscriminatorValue);
        Assert.Equal(2, collection!.Value!.Count);
        var item = collection.Value.Single(n => n.SubscriptionId == Guid.Parse(messages.Id!));
        Assert.Equal(ChangeType.Created, item.ChangeType);
        Assert.Equal("state-" + MessagesPath, item.ClientState);
        Assert.Equal(Guid.Parse(SeedIds.TenantId), item.TenantId);
        Assert.Equal(messages.ExpirationDateTime, item.SubscriptionExpirationDateTime);
        Assert.StartsWith(MessagesPath, item.Resource, StringComparison.Ordinal);
        Assert.Equal("#Microsoft.Graph.Message", item.ResourceData!.OdataType);
        Assert.True(item.ResourceData.AdditionalData.ContainsKey("id"));
        Assert.True(item.ResourceData.AdditionalData.ContainsKey("@odata.etag"));
        Assert.Contains(collection.Value, n => n.SubscriptionId == Guid.Parse(events.Id!));
        Assert.Null(collection.ValidationTokens);
        await _emulator.Control.WaitForCountersAsync(c => c.Delivered == 2, Wait);
    }

    [Fact]
    public async Task Trigger_by_subscription_or_kind_changes_only_those()
    {
        var messages = await SubscribeAsync(MessagesPath);
        await SubscribeAsync(EventsPath);

        Assert.Equal(1, _emulator.Control.TriggerChange(subscriptionId: Guid.Parse(messages.Id!)));
        Assert.Equal(1, _emulator.Control.TriggerChange(resourceKind: "event", changeType: "deleted"));
        Assert.Equal(0, _emulator.Control.TriggerChange(resourceKind: "driveItem"));

        Assert.Equal([(MessagesPath, "created"), (EventsPath, "deleted")], _tenant.Changes.ToArray());
    }

    [Fact]
    public async Task Failed_delivery_is_retried_with_exponential_backoff()
    {
        var answers = new Queue<int>([503, 500]);
        _receiver.Answer = _ => Task.FromResult(answers.TryDequeue(out var status) ? status : 202);
        await SubscribeAsync(MessagesPath);

        _emulator.Control.TriggerChange();
        await _emulator.Control.WaitForCountersAsync(c => c.FailedAttempts == 1, Wait);
        _time.Advance(TimeSpan.FromSeconds(5));
        await _emulator.Control.WaitForCountersAsync(c => c.FailedAttempts == 2, Wait);
        _time.Advance(TimeSpan.FromSeconds(5));
        await _emulator.Control.DeliverDueAsync();
        var beforeBackoffEnds = _emulator.Control.Counters;
        _time.Advance(TimeSpan.FromSeconds(5));
        var after = await _emulator.Control.WaitForCountersAsync(c => c.Delivered == 1, Wait);

        Assert.Equal(0, beforeBackoffEnds.Delivered);
        Assert.Equal(3, _receiver.NotificationAttempts);
        Assert.Equal(2, after.Retried);
        Assert.Single(_receiver.Notifications);
    }

    [Fact]
    public async Task Delivery_gives_up_after_the_last_attempt()
    {
        await using var emulator = await EmulatorFixture.StartAsync(o =>
        {
            o.Tenant = _tenant;
            o.Retry.MaxAttempts = 2;
            o.Retry.InitialDelay = TimeSpan.FromMilliseconds(50);
        });
        _receiver.Answer = _ => Task.FromResult(500);
        await SubscribeAsync(MessagesPath, emulator);

        emulator.Control.TriggerChange();
        var counters = await emulator.Control.WaitForCountersAsync(c => c.Dropped == 1, Wait);

        Assert.Equal(2, counters.FailedAttempts);
        Assert.Equal(1, counters.Retried);
        Assert.Equal(2, _receiver.NotificationAttempts);
    }

    [Fact]
    public async Task Timeout_counts_as_a_failed_and_slow_answer()
    {
        var hang = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _receiver.Answer = _ => hang.Task;
        await SubscribeAsync(MessagesPath);

        _emulator.Control.TriggerChange();
        await _receiver.WaitForAttemptsAsync(1, Wait);
        _time.Advance(TimeSpan.FromSeconds(10));
        var counters = await _emulator.Control.WaitForCountersAsync(c => c.FailedAttempts == 1, Wait);
        hang.SetResult(202);

        Assert.Equal(1, counters.SlowAnswers);
        Assert.Equal(1, counters.Retried);
        Assert.Equal(EndpointState.Dropping, _emulator.Control.GetEndpointState(_receiver.Url));
    }

    [Fact]
    public async Task Slow_endpoint_gets_new_notifications_ten_minutes_late()
    {
        _receiver.Answer = _ =>
        {
            _time.Advance(TimeSpan.FromSeconds(4));
            return Task.FromResult(202);
        };
        await SubscribeAsync(MessagesPath);
        _emulator.Control.TriggerChange();
        await _emulator.Control.WaitForCountersAsync(c => c.Delivered == 1, Wait);
        _receiver.Answer = null;

        _emulator.Control.TriggerChange();
        var delayed = await _emulator.Control.WaitForCountersAsync(c => c.Delayed == 1, Wait);
        await _emulator.Control.DeliverDueAsync();
        var stillDelayed = _emulator.Control.Counters.Delivered;
        _time.Advance(TimeSpan.FromMinutes(10));
        var delivered = await _emulator.Control.WaitForCountersAsync(c => c.Delivered == 2, Wait);

        Assert.Equal(1, delayed.SlowAnswers);
        Assert.Equal(1, stillDelayed);
        Assert.Equal(2, delivered.Delivered);
    }

    [Fact]
    public async Task Failing_endpoint_is_dropped_for_ten_minutes()
    {
        _receiver.Answer = _ => Task.FromResult(500);
        await SubscribeAsync(MessagesPath);
        _emulator.Control.TriggerChange();
        await _emulator.Control.WaitForCountersAsync(c => c.FailedAttempts == 1, Wait);
        _receiver.Answer = null;

        _emulator.Control.TriggerChange();
        var dropped = await _emulator.Control.WaitForCountersAsync(c => c.Dropped == 1, Wait);

        Assert.Equal(EndpointState.Dropping, _emulator.Control.GetEndpointState(_receiver.Url));
        Assert.Equal(0, dropped.Delivered);
        _time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(EndpointState.Normal, _emulator.Control.GetEndpointState(_receiver.Url));
    }

    [Fact]
    public async Task Expired_endpoint_token_holds_notifications_until_reauthorized()
    {
        var subscription = await SubscribeAsync(MessagesPath);
        _emulator.Control.ExpireEndpointTokens(Guid.Parse(subscription.Id!));

        _emulator.Control.TriggerChange();
        await _emulator.Control.WaitForCountersAsync(c => c.Withheld == 1, Wait);
        await _emulator.Graph.Subscriptions[subscription.Id].Reauthorize.PostAsync();
        _time.Advance(TimeSpan.FromSeconds(5));
        var counters = await _emulator.Control.WaitForCountersAsync(c => c.Delivered == 1, Wait);

        Assert.Equal(0, counters.FailedAttempts);
        Assert.Single(_receiver.Notifications);
    }

    private Task<Subscription> SubscribeAsync(string resource) => SubscribeAsync(resource, _emulator);

    private async Task<Subscription> SubscribeAsync(string resource, EmulatorFixture emulator) =>
        (await emulator.Graph.Subscriptions.PostAsync(new Subscription
        {
            ChangeType = "created,updated,deleted",
            NotificationUrl = _receiver.Url.ToString(),
            Resource = resource,
            ExpirationDateTime = emulator.Server.Options.TimeProvider.GetUtcNow().AddHours(2),
            ClientState = "state-" + resource,
        }))!;

}
