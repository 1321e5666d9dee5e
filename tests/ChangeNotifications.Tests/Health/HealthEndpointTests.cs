using System.Net;
using System.Text.Json;
using ChangeNotifications.Resources;
using ChangeNotifications.Tests.Infrastructure;

namespace ChangeNotifications.Tests.Health;

/// <summary>
/// <c>/health/live</c> and <c>/health/ready</c> of the service in-process, over its real SQLite file, with
/// notifications posted through the real intake and handled by the real dispatcher.
/// </summary>
public sealed class HealthEndpointTests : IDisposable
{
    private const string MailResource = "/users/5b0c9a6d-1e2f-4a3b-8c4d-9e0f1a2b3c4d/messages";
    private readonly RecordingHandler _handler = new(ResourceType.Message);
    private readonly ServiceFactory _service;

    public HealthEndpointTests()
    {
        _service = new ServiceFactory()
            .WithSetting("Dispatcher:MaxAttempts", "5")
            .WithSetting("Dispatcher:InitialBackoff", "00:00:01")
            .WithSetting("Health:FailingTypeMinimum", "3")
            .WithSetting("Health:FailingTypeWindow", "00:10:00")
            .WithHandler(_handler);
    }

    public void Dispose() => _service.Dispose();

    [Fact]
    public async Task Ready_turns_503_naming_the_store_when_the_SQLite_folder_is_gone_while_live_still_answers()
    {
        var client = _service.CreateClient();
        var before = await GetAsync(client, "/health/ready");
        Assert.Equal(HttpStatusCode.OK, before.Status);
        Assert.Equal("Healthy", Check(before.Json, "store").GetProperty("status").GetString());

        Directory.Delete(Path.GetDirectoryName(_service.DatabasePath)!, recursive: true);

        var ready = await GetAsync(client, "/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.Status);
        Assert.Equal("Unhealthy", ready.Json.GetProperty("status").GetString());
        var store = Check(ready.Json, "store");
        Assert.Equal("Unhealthy", store.GetProperty("status").GetString());
        Assert.Contains(_service.DatabasePath, store.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Contains("Storage:SqlitePath", store.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await GetAsync(client, "/health")).Status);

        var live = await GetAsync(client, "/health/live");
        Assert.Equal(HttpStatusCode.OK, live.Status);
        Assert.Equal("Healthy", live.Json.GetProperty("status").GetString());
        Assert.Empty(live.Json.GetProperty("checks").EnumerateObject());
    }

    [Fact]
    public async Task Ready_is_degraded_naming_a_resource_type_whose_every_notification_fails_and_recovers_after_the_window()
    {
        var client = _service.CreateClient();
        var sub = _service.Subscriptions.Add(MailResource);
        _handler.FailuresLeft = 1000;
        var post = await client.PostAsync("/api/notifications", Payloads.Json(Payloads.Batch(Payloads.Item(sub), Payloads.Item(sub), Payloads.Item(sub))));
        Assert.Equal(HttpStatusCode.Accepted, post.StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await GetAsync(client, "/health/ready")).Status);
        Assert.Equal("Healthy", Check((await GetAsync(client, "/health/ready")).Json, "handling").GetProperty("status").GetString());
        await _service.Dispatcher.RunOnceAsync(default);

        var ready = await GetAsync(client, "/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.Status);
        Assert.Equal("Degraded", ready.Json.GetProperty("status").GetString());
        var handling = Check(ready.Json, "handling");
        Assert.Equal("Degraded", handling.GetProperty("status").GetString());
        Assert.Contains("Message", handling.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Contains("simulated Graph outage", handling.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(3, handling.GetProperty("data").GetProperty("Message").GetInt64());

        // Past the window with nothing failing since, the type is no longer named.
        _service.Time.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal("Healthy", Check((await GetAsync(client, "/health/ready")).Json, "handling").GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_type_with_one_success_among_its_failures_is_not_failing()
    {
        var client = _service.CreateClient();
        var sub = _service.Subscriptions.Add(MailResource);
        _handler.FailuresLeft = 3;
        await client.PostAsync("/api/notifications", Payloads.Json(Payloads.Batch(Payloads.Item(sub), Payloads.Item(sub), Payloads.Item(sub), Payloads.Item(sub))));

        await _service.Dispatcher.RunOnceAsync(default);

        Assert.Single(_handler.Handled);
        Assert.Equal("Healthy", Check((await GetAsync(client, "/health/ready")).Json, "handling").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Store_check_is_degraded_when_the_oldest_waiting_item_is_older_than_the_limit()
    {
        var client = _service.CreateClient();
        var sub = _service.Subscriptions.Add(MailResource);
        await client.PostAsync("/api/notifications", Payloads.Json(Payloads.Batch(Payloads.Item(sub), Payloads.Item(sub))));

        var fresh = Check((await GetAsync(client, "/health/ready")).Json, "store");
        Assert.Equal("Healthy", fresh.GetProperty("status").GetString());
        Assert.Equal(2, fresh.GetProperty("data").GetProperty("backlog").GetInt64());

        _service.Time.Advance(TimeSpan.FromMinutes(6));
        var ready = await GetAsync(client, "/health/ready");

        Assert.Equal(HttpStatusCode.OK, ready.Status);
        var store = Check(ready.Json, "store");
        Assert.Equal("Degraded", store.GetProperty("status").GetString());
        Assert.Contains("Health:MaxBacklogAge", store.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(360, store.GetProperty("data").GetProperty("oldestBacklogAgeSeconds").GetDouble(), precision: 0);
    }

    private static JsonElement Check(JsonElement report, string name) => report.GetProperty("checks").GetProperty(name);

    private static async Task<(HttpStatusCode Status, JsonElement Json)> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, document.RootElement.Clone());
    }
}
