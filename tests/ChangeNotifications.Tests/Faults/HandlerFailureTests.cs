using System.Globalization;
using System.Net;
using ChangeNotifications.Inbox;
using ChangeNotifications.Resources;
using ChangeNotifications.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ChangeNotifications.Tests.Faults;

/// <summary>
/// A fraction of the handlers' fetches fail: transient failures are retried with backoff until they succeed,
/// persistent ones are dead-lettered after MaxAttempts, a replay once Graph is back handles them; every count adds up
/// and every notification ends up handled exactly once. The service in-process over a real SQLite inbox, its
/// dispatcher ticked by the test on a fake clock.
/// </summary>
public sealed class HandlerFailureTests : IDisposable
{
    private const int Notifications = 200;
    private const int MaxAttempts = 4;
    private const int TransientFailures = 2;
    private const int RetryLogEventId = 2002;
    private const int DeadLetterLogEventId = 2003;
    private readonly ITestOutputHelper _output;
    private readonly FailingFetchHandler _handler = new(ResourceType.Message, FailuresFor);
    private readonly ServiceFactory _service;

    public HandlerFailureTests(ITestOutputHelper output)
    {
        _output = output;
        _service = new ServiceFactory()
            .WithSetting("Dispatcher:MaxAttempts", MaxAttempts.ToString(CultureInfo.InvariantCulture))
            .WithSetting("Dispatcher:InitialBackoff", "00:00:10")
            .WithSetting("Dispatcher:MaxBackoff", "00:01:00")
            .WithHandler(_handler);
    }

    public void Dispose() => _service.Dispose();

    /// <summary>1 in 10 fails until Graph is back, 2 in 10 fail twice then succeed, the rest succeed at once.</summary>
    private static int FailuresFor(string id) => (int.Parse(id.AsSpan(id.Length - 3), CultureInfo.InvariantCulture) % 10) switch
    {
        0 => FailingFetchHandler.AlwaysFails,
        1 or 2 => TransientFailures,
        _ => 0,
    };

    [Fact]
    public async Task Failed_fetches_are_retried_dead_lettered_and_replayed_and_every_count_adds_up()
    {
        var subscription = _service.Subscriptions.Add("/users/5b0c9a6d-1e2f-4a3b-8c4d-9e0f1a2b3c4d/messages");
        var ids = Enumerable.Range(0, Notifications).Select(i => $"AAMkMsg{i:000}").ToList();
        var client = _service.CreateClient();
        foreach (var chunk in ids.Chunk(20))
        {
            var response = await client.PostAsync(new Uri("/api/notifications", UriKind.Relative),
                Payloads.Json(Payloads.Batch([.. chunk.Select(id => Payloads.Item(subscription, "updated", messageId: id))])));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        var persistent = ids.Count(id => FailuresFor(id) == FailingFetchHandler.AlwaysFails);
        var transient = ids.Count(id => FailuresFor(id) == TransientFailures);
        var healthy = Notifications - persistent - transient;

        await DrainAsync();
        var counts = await _service.Inbox.CountAsync(default);
        var retries = Lines(RetryLogEventId);
        var deadLetters = Lines(DeadLetterLogEventId);
        _output.WriteLine($"before replay: {counts.Done} done, {counts.Dead} dead-lettered; {_handler.Calls} fetches; {retries} retries, {deadLetters} dead letters logged");

        Assert.Equal(Notifications - persistent, counts.Done);
        Assert.Equal(persistent, counts.Dead);
        Assert.Equal(healthy + (transient * (TransientFailures + 1)) + (persistent * MaxAttempts), _handler.Calls);
        Assert.Equal((transient * TransientFailures) + (persistent * (MaxAttempts - 1)), retries);
        Assert.Equal(persistent, deadLetters);
        Assert.Equal(persistent, (await _service.Inbox.ListDeadLettersAsync(Notifications, default)).Count);

        _handler.Heal();
        var replayed = await _service.Inbox.ReplayDeadLettersAsync(subscriptionId: null, default);
        await DrainAsync();
        counts = await _service.Inbox.CountAsync(default);
        _output.WriteLine($"after replay of {replayed}: {counts.Done} done, {counts.Dead} dead-lettered; {_handler.Calls} fetches");

        Assert.Equal(persistent, replayed);
        Assert.Equal(Notifications, counts.Done);
        Assert.Equal(0, counts.Dead);
        Assert.Equal(healthy + (transient * (TransientFailures + 1)) + (persistent * (MaxAttempts + 1)), _handler.Calls);
        Assert.Equal(ids.Order(StringComparer.Ordinal), _handler.Successes.Keys.Order(StringComparer.Ordinal));
        Assert.All(_handler.Successes, s => Assert.Equal(1, s.Value));
    }

    /// <summary>Ticks the dispatcher, moving the clock past each backoff, until nothing is ready or claimed.</summary>
    private async Task DrainAsync()
    {
        for (var round = 0; round < 100; round++)
        {
            if (await _service.Dispatcher.RunOnceAsync(default) > 0)
            {
                continue;
            }

            var counts = await _service.Inbox.CountAsync(default);
            if (counts.Ready == 0 && counts.Claimed == 0)
            {
                return;
            }

            _service.Time.Advance(TimeSpan.FromMinutes(2));
        }

        Assert.Fail("The inbox did not settle within 100 dispatcher rounds.");
    }

    private int Lines(int eventId) => _service.Logs.GetSnapshot().Count(r => r.Id.Id == eventId);
}
