using System.Globalization;
using System.Net;
using ChangeNotifications.GraphEmulator.Tenant;
using ChangeNotifications.Resources;
using ChangeNotifications.Subscriptions;
using ChangeNotifications.Tests.Infrastructure;

namespace ChangeNotifications.Tests.Admin;

/// <summary>
/// Notifications and dead letters through the admin API: paged newest first, filtered by resource type, status and time,
/// over a real SQLite inbox. Five message notifications are handled; three on a <c>/users</c> subscription name messages,
/// outside what it watches, so the dispatcher dead-letters them with that reason.
/// </summary>
public sealed class AdminNotificationsTests : IDisposable
{
    private readonly ServiceFactory _service = new ServiceFactory().WithHandler(new RecordingHandler(ResourceType.Message));
    private SubscriptionRecord _messages = null!;
    private SubscriptionRecord _users = null!;
    private DateTimeOffset _afterThird;

    public void Dispose() => _service.Dispose();

    [Fact]
    public async Task Pages_follow_each_other_newest_first_and_cover_every_item_once()
    {
        using var admin = await SeedAsync();

        var seen = new List<long>();
        var pages = 0;
        string query = "/notifications?limit=3";
        while (true)
        {
            var page = await admin.GetAsync(query);
            var ids = page.Ids();
            Assert.InRange(ids.Count, 1, 3);
            seen.AddRange(ids);
            pages++;
            if (page.GetProperty("nextBefore").ValueKind == System.Text.Json.JsonValueKind.Null)
            {
                break;
            }

            query = $"/notifications?limit=3&before={page.GetProperty("nextBefore").GetInt64()}";
        }

        Assert.Equal(3, pages);
        Assert.Equal(8, seen.Count);
        Assert.Equal(seen.OrderDescending(), seen);
        Assert.Equal(8, seen.Distinct().Count());
    }

    [Fact]
    public async Task Filters_by_resource_type_status_and_time()
    {
        using var admin = await SeedAsync();

        var users = await admin.GetAsync("/notifications?resourceType=user");
        Assert.Equal(3, users.Ids().Count);
        Assert.All(users.GetProperty("items").EnumerateArray(), i =>
        {
            Assert.Equal("user", i.Text("resourceType"));
            Assert.Equal("dead", i.Text("status"));
            Assert.Equal(_users.Key, i.Text("subscriptionKey"));
            Assert.Contains("not User as the subscription", i.Text("lastError"), StringComparison.Ordinal);
        });

        var handled = await admin.GetAsync("/notifications?resourceType=message&status=done");
        Assert.Equal(5, handled.Ids().Count);
        Assert.All(handled.GetProperty("items").EnumerateArray(), i => Assert.Equal("created", i.Text("changeType")));
        Assert.Empty((await admin.GetAsync("/notifications?resourceType=message&status=dead")).Ids());
        Assert.Empty((await admin.GetAsync("/notifications?resourceType=contact")).Ids());

        var from = _afterThird.ToString("O", CultureInfo.InvariantCulture);
        var later = await admin.GetAsync($"/notifications?resourceType=message&from={Uri.EscapeDataString(from)}");
        Assert.Equal(2, later.Ids().Count);
        var earlier = await admin.GetAsync($"/notifications?resourceType=message&to={Uri.EscapeDataString(from)}");
        Assert.Equal(3, earlier.Ids().Count);
        Assert.Empty(later.Ids().Intersect(earlier.Ids()));

        var dead = await admin.GetAsync("/dead-letters");
        Assert.Equal(users.Ids(), dead.Ids());

        var refused = await admin.GetAsync("/notifications?status=lost&resourceType=planet&limit=0", HttpStatusCode.BadRequest);
        var errors = refused.GetProperty("errors");
        Assert.True(errors.TryGetProperty("status", out _));
        Assert.True(errors.TryGetProperty("resourceType", out _));
        Assert.True(errors.TryGetProperty("limit", out _));
    }

    [Fact]
    public async Task Subscriptions_show_their_stored_state_and_pending_items()
    {
        _messages = _service.Subscriptions.Add($"/users/{SeedIds.UserId}/messages", "created");
        _users = _service.Subscriptions.Add("/users", "updated");
        await _service.Subscriptions.UpsertAsync(_users with { FailureReason = "Renew: 503", ConsecutiveFailures = 2, RenewRequested = true }, default);
        using var admin = await AdminClient.CreateAsync(_service);
        await admin.NotifyAsync(_messages);
        await admin.NotifyAsync(_messages);

        var list = (await admin.GetAsync("/subscriptions")).EnumerateArray().ToDictionary(s => s.Text("key")!);

        var messages = list[_messages.Key];
        Assert.Equal("message", messages.Text("resourceType"));
        Assert.Equal("active", messages.Text("state"));
        Assert.Equal(2, messages.GetProperty("pending").GetProperty("items").GetInt64());
        var users = list[_users.Key];
        Assert.Equal("failing", users.Text("state"));
        Assert.Equal("Renew: 503", users.Text("failureReason"));
        Assert.True(users.GetProperty("pending").GetProperty("renew").GetBoolean());
        Assert.Equal(0, users.GetProperty("pending").GetProperty("items").GetInt64());
    }

    /// <summary>Five message notifications a minute apart (handled), three on the users subscription (dead-lettered).</summary>
    private async Task<AdminClient> SeedAsync()
    {
        _messages = _service.Subscriptions.Add($"/users/{SeedIds.UserId}/messages", "created");
        _users = _service.Subscriptions.Add("/users", "updated");
        var admin = await AdminClient.CreateAsync(_service);
        for (var i = 0; i < 5; i++)
        {
            await admin.NotifyAsync(_messages);
            _service.Time.Advance(TimeSpan.FromMinutes(1));
            if (i == 2)
            {
                _afterThird = _service.Time.GetUtcNow();
            }
        }

        for (var i = 0; i < 3; i++)
        {
            await admin.NotifyAsync(_users);
        }

        while (await _service.Dispatcher.RunOnceAsync(default) > 0)
        {
        }

        return admin;
    }
}
