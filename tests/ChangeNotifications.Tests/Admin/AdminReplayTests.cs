using System.Net;
using ChangeNotifications.GraphEmulator.Tenant;
using ChangeNotifications.Resources;
using ChangeNotifications.Tests.Infrastructure;
using ChangeNotifications.Tests.Subscriptions;

namespace ChangeNotifications.Tests.Admin;

/// <summary>
/// Dead letters through the admin API: listed with their reason, replayed one by id or all, and then handled exactly
/// once each (the handler's calls are counted), over a real SQLite inbox and the service's dispatcher.
/// </summary>
public sealed class AdminReplayTests : IDisposable
{
    private readonly RecordingHandler _handler = new(ResourceType.Message) { FailPermanently = true };
    private readonly ServiceFactory _service;

    public AdminReplayTests() => _service = new ServiceFactory().WithHandler(_handler);

    public void Dispose() => _service.Dispose();

    [Fact]
    public async Task A_replayed_dead_letter_is_handled_exactly_once()
    {
        var subscription = _service.Subscriptions.Add($"/users/{SeedIds.UserId}/messages", "created");
        using var admin = await AdminClient.CreateAsync(_service);
        await admin.NotifyAsync(subscription, "AAMkFirst");
        await admin.NotifyAsync(subscription, "AAMkSecond");
        await DrainAsync();
        Assert.Equal(2, _handler.Calls);

        var dead = await admin.GetAsync("/dead-letters");
        var ids = dead.Ids();
        Assert.Equal(2, ids.Count);
        Assert.All(dead.GetProperty("items").EnumerateArray(), i => Assert.Contains("handler refuses this item", i.Text("lastError"), StringComparison.Ordinal));

        _handler.FailPermanently = false;
        var first = ids[^1];
        Assert.Equal(1, (await admin.PostAsync($"/dead-letters/{first}/replay")).GetProperty("replayed").GetInt32());
        var ready = await admin.GetAsync("/notifications?status=ready");
        Assert.Equal([first], ready.Ids());
        await DrainAsync();

        Assert.Equal(3, _handler.Calls);
        Assert.Equal("AAMkFirst", Assert.Single(_handler.Handled).ResourceId);
        Assert.Equal([first], (await admin.GetAsync("/notifications?status=done")).Ids());

        // Replayed once: it is no dead letter any more, and a replay of it finds nothing.
        await admin.PostAsync($"/dead-letters/{first}/replay", HttpStatusCode.NotFound);
        await admin.PostAsync("/dead-letters/replay", HttpStatusCode.BadRequest);
        Assert.Equal(1, (await admin.PostAsync("/dead-letters/replay?all=true")).GetProperty("replayed").GetInt32());
        await DrainAsync();
        await DrainAsync();

        Assert.Equal(4, _handler.Calls);
        Assert.Equal(["AAMkFirst", "AAMkSecond"], _handler.Handled.Select(c => c.ResourceId).Order(StringComparer.Ordinal));
        Assert.Empty((await admin.GetAsync("/dead-letters")).Ids());
        Assert.Contains(_service.Logs.GetSnapshot(), r => r.Id.Id == 8101 && r.Property("Caller") == SeedIds.AdminClientId && r.Property("Count") == "1");
    }

    [Fact]
    public async Task A_filtered_replay_takes_only_the_dead_letters_it_matches()
    {
        var messages = _service.Subscriptions.Add($"/users/{SeedIds.UserId}/messages", "created");
        var other = _service.Subscriptions.Add($"/users/{SeedIds.UserId}/messages", "updated");
        using var admin = await AdminClient.CreateAsync(_service);
        await admin.NotifyAsync(messages);
        await admin.NotifyAsync(other);
        await DrainAsync();
        _handler.FailPermanently = false;

        var replayed = await admin.PostAsync($"/dead-letters/replay?subscriptionId={other.GraphId}");
        Assert.Equal(1, replayed.GetProperty("replayed").GetInt32());
        Assert.Equal(0, (await admin.PostAsync("/dead-letters/replay?resourceType=user")).GetProperty("replayed").GetInt32());
        await DrainAsync();

        Assert.Equal(other.GraphId, Assert.Single(_handler.Handled).Subscription!.GraphId);
        Assert.Single((await admin.GetAsync("/dead-letters")).Ids());
    }

    private async Task DrainAsync()
    {
        while (await _service.Dispatcher.RunOnceAsync(default) > 0)
        {
        }
    }
}
