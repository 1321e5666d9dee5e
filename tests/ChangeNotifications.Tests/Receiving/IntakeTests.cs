using System.Net;
using System.Text;
using ChangeNotifications.Inbox;
using ChangeNotifications.Notifications;
using ChangeNotifications.Receiving;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Moq;

namespace ChangeNotifications.Tests.Receiving;

public sealed class IntakeTests : IDisposable
{
    private const string MailResource = "/users/5b0c9a6d-1e2f-4a3b-8c4d-9e0f1a2b3c4d/messages";
    private readonly ServiceFactory _service = new();

    public void Dispose() => _service.Dispose();

    [Fact]
    public async Task Valid_batch_is_stored_then_answered_202()
    {
        var sub = _service.Subscriptions.Add(MailResource);
        var client = _service.CreateClient();

        var response = await client.PostAsync("/api/notifications", Payloads.Json(Payloads.Batch(Payloads.Item(sub), Payloads.Item(sub, "updated"))));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var counts = await _service.Inbox.CountAsync(default);
        Assert.Equal(2, counts.Ready);
        var batchLine = _service.Logs.GetSnapshot().Single(r => r.Id.Id == 1010);
        Assert.Equal("2", batchLine.GetStructuredStateValue("Stored"));
        Assert.Equal("0", batchLine.GetStructuredStateValue("Dropped"));
    }

    [Fact]
    public async Task Lifecycle_items_are_stored_as_lifecycle()
    {
        var sub = _service.Subscriptions.Add(MailResource);
        var client = _service.CreateClient();

        var response = await client.PostAsync("/api/lifecycle", Payloads.Json(Payloads.Batch(Payloads.Lifecycle(sub, "reauthorizationRequired"))));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var claimed = await _service.Inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default);
        Assert.Equal(InboxItemKind.Lifecycle, Assert.Single(claimed).Kind);
    }

    [Fact]
    public async Task Redelivered_batch_is_stored_and_claimed_once()
    {
        var sub = _service.Subscriptions.Add(MailResource);
        var body = Payloads.Batch(Payloads.Item(sub), Payloads.Item(sub));
        var client = _service.CreateClient();

        var first = await client.PostAsync("/api/notifications", Payloads.Json(body));
        var again = await client.PostAsync("/api/notifications", Payloads.Json(body));

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        Assert.Equal("2", _service.Logs.GetSnapshot().Where(r => r.Id.Id == 1010).Last().GetStructuredStateValue("Stored"));
        var claimed = await _service.Inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default);
        Assert.Equal(2, claimed.Count);
        Assert.Equal(new InboxCounts(Ready: 0, Claimed: 2, Done: 2, Dead: 0), await _service.Inbox.CountAsync(default));
        Assert.Equal(2, _service.Logs.GetSnapshot().Count(r => r.Id.Id == 1102));
    }

    [Fact]
    public async Task Items_sent_alone_in_a_batch_and_beside_a_lifecycle_event_get_the_same_keys_and_are_claimed_once()
    {
        var sub = _service.Subscriptions.Add(MailResource);
        string[] items = [Payloads.Item(sub), Payloads.Item(sub, "updated"), Payloads.Item(sub, "deleted")];
        var client = _service.CreateClient();

        // Alone: keyed by intake. In a batch: keyed when the claim splits it. Beside a lifecycle event (a change row of
        // its own in a request of several): keyed by the inbox when stored.
        foreach (var body in new[] { Payloads.Batch(items[0]), Payloads.Batch(items[1]), Payloads.Batch(items), Payloads.Batch(items[2], Payloads.Lifecycle(sub, "missed")) })
        {
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync("/api/notifications", Payloads.Json(body))).StatusCode);
        }

        var claimed = await _service.Inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default);
        var changes = claimed.Where(i => i.Kind == InboxItemKind.Change).Select(i => i.DedupKey).Order(StringComparer.Ordinal);
        Assert.Equal(items.Select(KeyOf).Order(StringComparer.Ordinal), changes);
        Assert.Single(claimed, i => i.Kind == InboxItemKind.Lifecycle);
        Assert.Equal(new InboxCounts(Ready: 0, Claimed: 4, Done: 3, Dead: 0), await _service.Inbox.CountAsync(default));

        static string KeyOf(string item)
        {
            using var document = System.Text.Json.JsonDocument.Parse(item);
            Assert.True(NotificationItemReader.TryRead(document.RootElement, out var read));
            return DedupKey.For(read.Fields);
        }
    }

    [Fact]
    public async Task Wrong_client_state_is_dropped_not_stored_and_never_logged()
    {
        var sub = _service.Subscriptions.Add(MailResource);
        var client = _service.CreateClient();
        const string forged = "forged-client-state-value";

        var response = await client.PostAsync("/api/notifications", Payloads.Json(Payloads.Batch(Payloads.Item(sub, clientState: forged))));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(0, (await _service.Inbox.CountAsync(default)).Total);
        var records = _service.Logs.GetSnapshot();
        var drop = records.Single(r => r.Id.Id == 1011);
        Assert.Equal(nameof(DropReason.ClientStateMismatch), drop.GetStructuredStateValue("Reason"));
        Assert.Equal(1, _service.Services.GetRequiredService<ReceivingMetrics>().DroppedTotal);
        Assert.DoesNotContain(records, r => r.Message.Contains(forged, StringComparison.Ordinal) || r.Message.Contains(sub.ClientState, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unknown_subscription_is_dropped_and_the_rest_kept()
    {
        var sub = _service.Subscriptions.Add(MailResource);
        var stranger = sub with { GraphId = Guid.NewGuid() };
        var client = _service.CreateClient();

        var response = await client.PostAsync("/api/notifications", Payloads.Json(Payloads.Batch(Payloads.Item(stranger), Payloads.Item(sub))));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(1, (await _service.Inbox.CountAsync(default)).Total);
        Assert.Contains(_service.Logs.GetSnapshot(), r => r.Id.Id == 1011 && r.GetStructuredStateValue("Reason") == nameof(DropReason.UnknownSubscription));
    }

    [Theory]
    [InlineData("{ \"value\": [ {\"subscriptionId\": ")]
    [InlineData("[1, 2, 3]")]
    [InlineData("{ \"value\": 3 }")]
    [InlineData("{ \"value\": [ 1 ] }")]
    public async Task Malformed_body_gets_400_problem_and_nothing_is_stored(string body)
    {
        var sub = _service.Subscriptions.Add(MailResource);
        _ = sub;
        var client = _service.CreateClient();

        var response = await client.PostAsync("/api/notifications", Payloads.Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, (await _service.Inbox.CountAsync(default)).Total);
    }

    [Fact]
    public async Task Batch_with_one_malformed_item_is_refused_whole()
    {
        var sub = _service.Subscriptions.Add(MailResource);
        var client = _service.CreateClient();

        var response = await client.PostAsync("/api/notifications", Payloads.Json(Payloads.Batch(Payloads.Item(sub), "\"not an object\"")));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0, (await _service.Inbox.CountAsync(default)).Total);
    }

    [Fact]
    public async Task Body_over_the_limit_gets_413_and_nothing_is_stored()
    {
        using var small = new ServiceFactory().WithSetting("Receiving:MaxBodyBytes", "2048");
        var sub = small.Subscriptions.Add(MailResource);
        var items = Enumerable.Range(0, 10).Select(_ => Payloads.Item(sub)).ToArray();
        var client = small.CreateClient();

        var response = await client.PostAsync("/api/notifications", Payloads.Json(Payloads.Batch(items)));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, (await small.Inbox.CountAsync(default)).Total);
    }

    [Fact]
    public async Task Chunked_body_over_the_limit_gets_413()
    {
        using var small = new ServiceFactory().WithSetting("Receiving:MaxBodyBytes", "2048");
        var sub = small.Subscriptions.Add(MailResource);
        var body = Encoding.UTF8.GetBytes(Payloads.Batch(Enumerable.Range(0, 10).Select(_ => Payloads.Item(sub)).ToArray()));
        using var content = new StreamContent(new MemoryStream(body));
        content.Headers.ContentType = new("application/json");
        var client = small.CreateClient();

        var response = await client.PostAsync("/api/notifications", content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, (await small.Inbox.CountAsync(default)).Total);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    public async Task Wrong_content_type_gets_415(string contentType)
    {
        var sub = _service.Subscriptions.Add(MailResource);
        using var content = new StringContent(Payloads.Batch(Payloads.Item(sub)), Encoding.UTF8, contentType);
        var client = _service.CreateClient();

        var response = await client.PostAsync("/api/notifications", content);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal(0, (await _service.Inbox.CountAsync(default)).Total);
    }

    [Fact]
    public async Task Inbox_failure_gets_503_so_Graph_retries()
    {
        var failing = new Mock<IInbox>();
        failing.Setup(i => i.AppendAsync(It.IsAny<IReadOnlyList<InboxEntry>>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new InboxUnavailableException("disk full"));
        using var service = new ServiceFactory().WithServices(s => s.AddSingleton(failing.Object));
        var sub = service.Subscriptions.Add(MailResource);
        var client = service.CreateClient();

        var response = await client.PostAsync("/api/notifications", Payloads.Json(Payloads.Batch(Payloads.Item(sub))));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.True(response.Headers.Contains("Retry-After"));
        AnsweredBusyAtWarning(service.Logs.GetSnapshot());
    }

    /// <summary>An ordinary 503 is one Warning line with the reason and no stack trace; the exception is at Debug.</summary>
    private static void AnsweredBusyAtWarning(IReadOnlyList<FakeLogRecord> logs)
    {
        var line = Assert.Single(logs, r => r.Id.Id == 1013);
        Assert.Equal(LogLevel.Warning, line.Level);
        Assert.Null(line.Exception);
        Assert.False(string.IsNullOrWhiteSpace(line.GetStructuredStateValue("Reason")));
        Assert.Equal(LogLevel.Debug, Assert.Single(logs, r => r.Id.Id == 7260 && r.Exception is not null).Level);
        Assert.DoesNotContain(logs, r => r.Category == typeof(NotificationIntake).FullName && r.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task Stalled_inbox_gets_503_at_the_store_timeout()
    {
        var storing = new TaskCompletionSource<CancellationToken>(TaskCreationOptions.RunContinuationsAsynchronously);
        var stalled = new Mock<IInbox>();
        stalled.Setup(i => i.AppendAsync(It.IsAny<IReadOnlyList<InboxEntry>>(), It.IsAny<CancellationToken>()))
            .Returns((IReadOnlyList<InboxEntry> _, CancellationToken ct) =>
            {
                storing.SetResult(ct);
                return Task.Delay(Timeout.Infinite, ct);
            });
        using var service = new ServiceFactory()
            .WithSetting("Receiving:StoreTimeout", "00:00:00.200")
            .WithServices(s => s.AddSingleton(stalled.Object));
        var sub = service.Subscriptions.Add(MailResource);
        var client = service.CreateClient();

        var posting = client.PostAsync("/api/notifications", Payloads.Json(Payloads.Batch(Payloads.Item(sub))));
        // The fake clock fires its timers inside Advance: the store's token tells whether the deadline has passed.
        var storeToken = await storing.Task;
        service.Time.Advance(TimeSpan.FromMilliseconds(189));
        Assert.False(storeToken.IsCancellationRequested);
        Assert.False(posting.IsCompleted);
        service.Time.Advance(TimeSpan.FromMilliseconds(11));
        Assert.True(storeToken.IsCancellationRequested);
        var response = await posting;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var logs = service.Logs.GetSnapshot();
        AnsweredBusyAtWarning(logs);
        Assert.DoesNotContain(logs, r => r.Id.Id == 1015);
    }

    [Fact]
    public async Task Each_stored_payload_is_its_item_as_sent_without_the_client_state()
    {
        var sub = _service.Subscriptions.Add(MailResource);
        var items = new[] { Payloads.Item(sub, messageId: "msg-001"), Payloads.Item(sub, "updated", messageId: "msg-\u00e9-002"), Payloads.Item(sub, "deleted", messageId: "msg-003") };

        var response = await _service.CreateClient().PostAsync("/api/notifications", Payloads.Json(Payloads.Batch(items)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var stored = await _service.Inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default);
        var secret = $"\"clientState\": \"{sub.ClientState}\"";
        Assert.All(items, i => Assert.Contains(secret, i, StringComparison.Ordinal));
        Assert.Equal(items.Select(i => i.Trim().Replace(secret, "\"clientState\": null", StringComparison.Ordinal)), stored.Select(i => i.Payload));
        Assert.All(stored, i => Assert.DoesNotContain(sub.ClientState!, i.Payload, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Concurrent_requests_are_all_stored()
    {
        var sub = _service.Subscriptions.Add(MailResource);
        var client = _service.CreateClient();

        var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ =>
            client.PostAsync("/api/notifications", Payloads.Json(Payloads.Batch(Payloads.Item(sub), Payloads.Item(sub))))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        Assert.Equal(80, (await _service.Inbox.CountAsync(default)).Ready);
    }
}
