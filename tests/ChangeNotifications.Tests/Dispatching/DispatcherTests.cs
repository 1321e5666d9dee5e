using System.Net;
using ChangeNotifications.Dispatching;
using ChangeNotifications.Inbox;
using ChangeNotifications.Resources;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace ChangeNotifications.Tests.Dispatching;

public sealed class DispatcherTests : IDisposable
{
    private const string MailResource = "/users/5b0c9a6d-1e2f-4a3b-8c4d-9e0f1a2b3c4d/messages";
    private readonly RecordingHandler _handler = new(ResourceType.Message);
    private readonly ServiceFactory _service;

    public DispatcherTests()
    {
        _service = new ServiceFactory()
            .WithSetting("Dispatcher:MaxAttempts", "3")
            .WithSetting("Dispatcher:InitialBackoff", "00:00:10")
            .WithHandler(_handler);
    }

    public void Dispose() => _service.Dispose();

    private async Task PostAsync(params string[] items)
    {
        var response = await _service.CreateClient().PostAsync("/api/notifications", Payloads.Json(Payloads.Batch(items)));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task Hands_each_item_to_the_handler_of_its_resource_type_and_marks_it_done()
    {
        var sub = _service.Subscriptions.Add(MailResource);
        await PostAsync(Payloads.Item(sub, "created", messageId: "AAMkAGI1"), Payloads.Item(sub, "updated"));

        var claimed = await _service.Dispatcher.RunOnceAsync(default);

        Assert.Equal(2, claimed);
        Assert.Equal(2, _handler.Handled.Count);
        var created = _handler.Handled.Single(c => c.ChangeTypeName == "created");
        Assert.Equal(ResourceType.Message, created.ResourceType);
        Assert.Equal("AAMkAGI1", created.ResourceId);
        Assert.Equal("AAMkAGI1", created.Resource.LastIdAfter("messages"));
        Assert.Equal(sub.Key, created.Subscription?.Key);
        Assert.Equal(2, (await _service.Inbox.CountAsync(default)).Done);
        var line = _service.Logs.GetSnapshot().First(r => r.Id.Id == 2010);
        Assert.Equal(nameof(ResourceType.Message), line.GetStructuredStateValue("ResourceType"));
        Assert.Equal(sub.GraphId.ToString(), line.GetStructuredStateValue("SubscriptionId"));
        Assert.Equal(Payloads.TenantId, line.GetStructuredStateValue("TenantId"));
        Assert.True(_service.Subscriptions.Notified.ContainsKey(sub.GraphId!.Value));
    }

    [Fact]
    public async Task Failure_is_retried_after_backoff_then_succeeds()
    {
        var sub = _service.Subscriptions.Add(MailResource);
        _handler.FailuresLeft = 1;
        await PostAsync(Payloads.Item(sub));

        await _service.Dispatcher.RunOnceAsync(default);
        Assert.Empty(_handler.Handled);
        Assert.Equal(0, await _service.Dispatcher.RunOnceAsync(default));

        _service.Time.Advance(TimeSpan.FromSeconds(12));
        Assert.Equal(1, await _service.Dispatcher.RunOnceAsync(default));

        Assert.Single(_handler.Handled);
        Assert.Equal(2, _handler.Handled.Single().Attempt);
        Assert.Equal(1, (await _service.Inbox.CountAsync(default)).Done);
        Assert.Contains(_service.Logs.GetSnapshot(), r => r.Id.Id == 2002 && r.GetStructuredStateValue("Attempt") == "1");
    }

    [Fact]
    public async Task Backoff_grows_exponentially_within_bounds()
    {
        var options = new DispatcherOptions { InitialBackoff = TimeSpan.FromSeconds(2), MaxBackoff = TimeSpan.FromMinutes(1) };

        var first = NotificationDispatcher.Backoff(1, options);
        var third = NotificationDispatcher.Backoff(3, options);
        var tenth = NotificationDispatcher.Backoff(10, options);

        Assert.InRange(first.TotalSeconds, 1.6, 2.4);
        Assert.InRange(third.TotalSeconds, 6.4, 9.6);
        Assert.InRange(tenth.TotalSeconds, 48, 60);
    }

    [Fact]
    public async Task Item_failing_every_attempt_is_dead_lettered_and_can_be_replayed()
    {
        var sub = _service.Subscriptions.Add(MailResource);
        _handler.FailuresLeft = 3;
        await PostAsync(Payloads.Item(sub));

        for (var attempt = 0; attempt < 3; attempt++)
        {
            Assert.Equal(1, await _service.Dispatcher.RunOnceAsync(default));
            _service.Time.Advance(TimeSpan.FromMinutes(10));
        }

        var counts = await _service.Inbox.CountAsync(default);
        Assert.Equal(1, counts.Dead);
        Assert.Equal(0, counts.Ready);
        var dead = Assert.Single(await _service.Inbox.ListDeadLettersAsync(10, default));
        Assert.Contains("simulated Graph outage", dead.LastError, StringComparison.Ordinal);
        Assert.Contains(_service.Logs.GetSnapshot(), r => r.Id.Id == 2003 && r.Level == LogLevel.Error);

        Assert.Equal(1, await _service.Inbox.ReplayDeadLettersAsync(sub.GraphId, default));
        Assert.Equal(1, await _service.Dispatcher.RunOnceAsync(default));
        Assert.Single(_handler.Handled);
    }

    [Fact]
    public async Task Permanent_failure_is_dead_lettered_without_retry()
    {
        var sub = _service.Subscriptions.Add(MailResource);
        _handler.FailPermanently = true;
        await PostAsync(Payloads.Item(sub));

        await _service.Dispatcher.RunOnceAsync(default);

        Assert.Equal(1, _handler.Calls);
        Assert.Equal(1, (await _service.Inbox.CountAsync(default)).Dead);
    }

    [Fact]
    public async Task Encrypted_item_without_a_configured_certificate_is_dead_lettered()
    {
        var sub = _service.Subscriptions.Add(MailResource);
        var item = Payloads.Item(sub).TrimEnd().TrimEnd('}') +
            """, "encryptedContent": { "data": "AAAA", "dataSignature": "BBBB", "dataKey": "CCCC", "encryptionCertificateId": "x", "encryptionCertificateThumbprint": "y" } }""";
        await PostAsync(item);

        await _service.Dispatcher.RunOnceAsync(default);

        Assert.Equal(0, _handler.Calls);
        Assert.Equal(1, (await _service.Inbox.CountAsync(default)).Dead);
    }

    [Fact]
    public async Task Lifecycle_item_goes_to_the_lifecycle_handler_not_to_a_resource_handler()
    {
        var sub = _service.Subscriptions.Add(MailResource);
        var response = await _service.CreateClient().PostAsync("/api/lifecycle", Payloads.Json(Payloads.Batch(Payloads.Lifecycle(sub, "missed"))));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        await _service.Dispatcher.RunOnceAsync(default);

        Assert.Equal(0, _handler.Calls);
        var line = _service.Logs.GetSnapshot().Single(r => r.Id.Id == 2011);
        Assert.Equal("Missed", line.GetStructuredStateValue("LifecycleEvent"));
        Assert.Equal(1, (await _service.Inbox.CountAsync(default)).Done);
    }

    [Fact]
    public async Task Items_claimed_by_a_process_that_died_are_handled_after_restart()
    {
        var database = TempPaths.NewDatabase();
        // The subscription store outlives the process as the SQLite one does: the items' subscription is still known.
        var store = new TestSubscriptionStore();
        try
        {
            using (var first = new ServiceFactory(database) { Subscriptions = store })
            {
                var sub = first.Subscriptions.Add(MailResource);
                var response = await first.CreateClient().PostAsync("/api/notifications", Payloads.Json(Payloads.Batch(Payloads.Item(sub), Payloads.Item(sub))));
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                Assert.Equal(2, (await first.Inbox.ClaimAsync(10, TimeSpan.FromHours(1), default)).Count);
            }

            var handler = new RecordingHandler(ResourceType.Message);
            using var second = new ServiceFactory(database, dispatcherEnabled: true) { Subscriptions = store }.WithHandler(handler);
            _ = second.Services;

            await handler.FirstHandled.WaitAsync(TimeSpan.FromSeconds(30));
            await WaitUntilAsync(async () => (await second.Inbox.CountAsync(default)).Done == 2);
            Assert.Contains(second.Logs.GetSnapshot(), r => r.Id.Id == 2001 && r.GetStructuredStateValue("Count") == "2");
        }
        finally
        {
            TempPaths.DeleteFolderOf(database);
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            await Task.Delay(20, timeout.Token);
        }
    }
}
