using System.Globalization;
using System.Net;
using ChangeNotifications.Dispatching;
using ChangeNotifications.Graph;
using ChangeNotifications.Graph.Emulator;
using ChangeNotifications.GraphEmulator.Control;
using ChangeNotifications.GraphEmulator.Tenant;
using ChangeNotifications.Resources;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Graph;

namespace ChangeNotifications.Tests.Faults;

/// <summary>
/// A handler's Graph fetch fails in each way Graph can fail: the service in-process (intake over HTTP, a real SQLite
/// inbox, the dispatcher ticked by the test on a fake clock) with its emulator in Emulator mode, the real message
/// handler and the real Graph SDK; the emulator's fault injection answers the handler's fetch. Permanent answers are
/// dead-lettered at the first attempt, throttles, 5xx and network errors are retried, 404 / 410 mean gone.
/// </summary>
public sealed class GraphFetchFailureTests : IDisposable
{
    private const string Messages = $"/users/{SeedIds.UserId}/messages";
    private const int RetryEvent = 2002;
    private const int DeadLetterEvent = 2003;
    private const int FailureDetailEvent = 7250;
    private const int MessageChangedEvent = 5101;
    private const int ResourceGoneEvent = 5003;
    private readonly ServiceFactory _service = Configure(new ServiceFactory());

    private string? _clientState;

    public void Dispose() => _service.Dispose();

    [Theory]
    [InlineData(400, "BadRequest")]
    [InlineData(403, "ErrorAccessDenied")]
    [InlineData(414, "RequestUriTooLong")]
    [InlineData(422, "UnprocessableEntity")]
    public async Task A_permanent_Graph_answer_is_dead_lettered_at_the_first_attempt_with_its_reason(int status, string code)
    {
        var control = await NotifyAsync();
        control.RejectNextRequests(1, status);

        Assert.Equal(1, await _service.Dispatcher.RunOnceAsync(default));
        _service.Time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, await _service.Dispatcher.RunOnceAsync(default));

        var counts = await _service.Inbox.CountAsync(default);
        Assert.Equal((1, 0, 0), (counts.Dead, counts.Ready, counts.Done));
        var dead = Assert.Single(await _service.Inbox.ListDeadLettersAsync(10, default));
        Assert.Equal(1, dead.Attempts);
        Assert.Contains($"{status.ToString(CultureInfo.InvariantCulture)} {code}", dead.LastError, StringComparison.Ordinal);
        var line = Assert.Single(Lines(DeadLetterEvent));
        Assert.Equal("1", line.GetStructuredStateValue("Attempt"));
        Assert.Contains($"{status.ToString(CultureInfo.InvariantCulture)} {code}", line.GetStructuredStateValue("Reason"), StringComparison.Ordinal);
        Assert.Empty(Lines(RetryEvent));
        Assert.Empty(Lines(MessageChangedEvent));
        Assert.DoesNotContain(_service.Logs.GetSnapshot(), r => r.Message.Contains(_clientState!, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(null, 120)]
    [InlineData("activityLimitReached", null)]
    public async Task A_403_that_throttles_is_retried_not_dead_lettered(string? code, int? retryAfterSeconds)
    {
        var control = await NotifyAsync();
        control.RejectNextRequests(1, 403, code, retryAfterSeconds is { } s ? TimeSpan.FromSeconds(s) : null);

        var retry = await FirstAttemptIsRetriedAsync("403");

        if (retryAfterSeconds is { } wait)
        {
            // Graph's Retry-After (2 min) is longer than the dispatcher's first backoff (10 s): it is waited out.
            Assert.True(retry >= ServiceFactory.Start + TimeSpan.FromSeconds(wait), $"next attempt at {retry:O}");
        }

        await NextAttemptIsHandledAsync(retry);
    }

    public static TheoryData<string> TransientFaults => ["429", "503", "500", "network"];

    [Theory]
    [MemberData(nameof(TransientFaults))]
    public async Task Throttles_server_errors_and_network_errors_are_retried_with_one_line_each_and_no_stack_above_Debug(string fault)
    {
        var control = await NotifyAsync();
        switch (fault)
        {
            case "429":
                control.ThrottleNextRequests(4, TimeSpan.Zero); // the SDK retries three times itself, then gives up
                break;
            case "503":
                control.FailNextRequests(4, 503, TimeSpan.Zero);
                break;
            case "500":
                control.FailNextRequests(1, 500);
                break;
            default:
                control.DropNextRequests(1);
                break;
        }

        var retry = await FirstAttemptIsRetriedAsync(fault == "network" ? "none" : fault);

        await NextAttemptIsHandledAsync(retry);
    }

    [Fact]
    public async Task A_410_on_a_fetch_means_gone_like_a_404()
    {
        var control = await NotifyAsync();
        control.RejectNextRequests(1, 410, "itemGone");

        Assert.Equal(1, await _service.Dispatcher.RunOnceAsync(default));

        Assert.Equal(1, (await _service.Inbox.CountAsync(default)).Done);
        var gone = Assert.Single(Lines(ResourceGoneEvent));
        Assert.Equal("410", gone.GetStructuredStateValue("StatusCode"));
        Assert.Equal("itemGone", gone.GetStructuredStateValue("ErrorCode"));
        Assert.Empty(Lines(RetryEvent));
        Assert.Empty(Lines(DeadLetterEvent));
    }

    [Fact]
    public async Task A_410_that_asks_for_a_resync_outside_a_delta_handler_is_dead_lettered_not_taken_for_gone()
    {
        var control = await NotifyAsync();
        control.RejectNextRequests(1, 410, "resyncRequired");

        Assert.Equal(1, await _service.Dispatcher.RunOnceAsync(default));

        Assert.Equal(1, (await _service.Inbox.CountAsync(default)).Dead);
        Assert.Contains("410 resyncRequired", Assert.Single(Lines(DeadLetterEvent)).GetStructuredStateValue("Reason"), StringComparison.Ordinal);
        Assert.Empty(Lines(ResourceGoneEvent));
    }

    [Fact]
    public async Task A_404_escaping_a_plug_in_handler_is_logged_as_gone_and_done_not_retried()
    {
        using var service = Configure(new ServiceFactory()).WithServices(s => s.AddSingleton<IChangeNotificationHandler, PlainFetchHandler>());
        var control = await NotifyAsync(service);
        control.RejectNextRequests(1, 404, "ErrorItemNotFound");

        Assert.Equal(1, await service.Dispatcher.RunOnceAsync(default));

        Assert.Equal(1, (await service.Inbox.CountAsync(default)).Done);
        var gone = Assert.Single(service.Logs.GetSnapshot(), r => r.Id.Id == 7251);
        Assert.Equal("404", gone.GetStructuredStateValue("StatusCode"));
        Assert.Contains("ErrorItemNotFound", gone.GetStructuredStateValue("Reason"), StringComparison.Ordinal);
        Assert.DoesNotContain(service.Logs.GetSnapshot(), r => r.Id.Id is RetryEvent or DeadLetterEvent);
    }

    /// <summary>A handler as an application might write one without <c>GraphChangeHandler</c>: it fetches and lets
    /// every error through.</summary>
    private sealed class PlainFetchHandler(GraphServiceClient graph) : IChangeNotificationHandler
    {
        public ResourceType ResourceType => ResourceType.Message;

        public Task HandleAsync(ChangeNotificationContext context, CancellationToken cancellationToken) =>
            graph.Users[SeedIds.UserId].Messages[context.ResourceId].GetAsync(cancellationToken: cancellationToken);

        public Task ResyncAsync(ResyncContext context, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private Task<EmulatorControl> NotifyAsync() => NotifyAsync(_service);

    /// <summary>Stores a notification of a message the emulator just created (through the webhook endpoint) and
    /// returns the emulator's control.</summary>
    private async Task<EmulatorControl> NotifyAsync(ServiceFactory service)
    {
        var subscription = service.Subscriptions.Add(Messages);
        _clientState = subscription.ClientState;
        var change = service.Services.GetRequiredService<IEmulatedTenant>().MakeChange(Messages.TrimStart('/'), "created")!;
        var emulator = await service.Services.GetRequiredService<EmulatorHost>().GetServerAsync();
        var response = await service.CreateClient().PostAsync(
            new Uri("/api/notifications", UriKind.Relative),
            Payloads.Json(Payloads.Batch(Payloads.Item(subscription, "created", messageId: change.ResourceId))));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return emulator.Control;
    }

    /// <summary>Runs the first attempt and checks it was logged as one retry line with its reason, the stack trace
    /// at Debug only; returns the next attempt's time.</summary>
    private async Task<DateTimeOffset> FirstAttemptIsRetriedAsync(string status)
    {
        Assert.Equal(1, await _service.Dispatcher.RunOnceAsync(default));

        var counts = await _service.Inbox.CountAsync(default);
        Assert.Equal((0, 1, 0), (counts.Dead, counts.Ready, counts.Done));
        var retry = Assert.Single(Lines(RetryEvent));
        Assert.Equal(LogLevel.Warning, retry.Level);
        Assert.Null(retry.Exception);
        Assert.Equal(status, retry.GetStructuredStateValue("StatusCode"));
        Assert.Equal("1", retry.GetStructuredStateValue("Attempt"));
        Assert.False(string.IsNullOrWhiteSpace(retry.GetStructuredStateValue("Reason")));
        var next = DateTimeOffset.Parse(retry.GetStructuredStateValue("NextAttemptAt")!, CultureInfo.InvariantCulture);
        Assert.True(next > _service.Time.GetUtcNow(), $"next attempt at {next:O}");
        Assert.NotNull(Assert.Single(Lines(FailureDetailEvent), r => r.Level == LogLevel.Debug).Exception);
        Assert.DoesNotContain(_service.Logs.GetSnapshot(), r =>
            r.Category == typeof(NotificationDispatcher).FullName && r.Level > LogLevel.Debug && r.Exception is not null);
        Assert.Empty(Lines(DeadLetterEvent));
        return next;
    }

    /// <summary>Nothing is tried before <paramref name="next"/>; from then on the fetch succeeds and the item is done.</summary>
    private async Task NextAttemptIsHandledAsync(DateTimeOffset next)
    {
        _service.Time.Advance(next - _service.Time.GetUtcNow() - TimeSpan.FromSeconds(1));
        Assert.Equal(0, await _service.Dispatcher.RunOnceAsync(default));
        _service.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, await _service.Dispatcher.RunOnceAsync(default));

        Assert.Equal(1, (await _service.Inbox.CountAsync(default)).Done);
        Assert.Single(Lines(MessageChangedEvent));
        Assert.Single(Lines(RetryEvent));
    }

    private static ServiceFactory Configure(ServiceFactory service) => service
        .WithSetting("Graph:Mode", "Emulator")
        .WithSetting("Graph:Emulator:AccessTokenLifetime", "90.00:00:00") // the credential caches its token on the real clock
        .WithSetting("Graph:Emulator:ChangePace", "30.00:00:00")
        .WithSetting("Dispatcher:InitialBackoff", "00:00:10")
        .WithSetting("Dispatcher:MaxBackoff", "00:01:00");

    private List<FakeLogRecord> Lines(int eventId) => _service.Logs.GetSnapshot().Where(r => r.Id.Id == eventId).ToList();
}
