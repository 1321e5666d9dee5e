using System.Net;
using ChangeNotifications.Dispatching;
using ChangeNotifications.Receiving;
using ChangeNotifications.Resources;
using ChangeNotifications.Tests.Infrastructure;
using ChangeNotifications.Tests.Receiving;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ChangeNotifications.Tests.Dispatching;

public sealed class DispatchPacingTests
{
    private const int UnderLoadEventId = 2006;
    private const int QuietEventId = 2007;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero));
    private readonly FakeLogger<DispatchPacing> _logger = new();
    private readonly IntakeLoad _load;
    private readonly ProcessCpu _cpu;
    private readonly DispatchPacing _pacing;
    private TimeSpan _cpuUsed;

    public DispatchPacingTests()
    {
        _load = new IntakeLoad(_time);
        _cpu = new ProcessCpu(_time, () => _cpuUsed, cores: 2);

        // The intake's load alone decides here (BusyProcessCpu 0); the CPU's part is tested below.
        _pacing = new DispatchPacing(_load, _cpu, Options.Create(Settings(busyProcessCpu: 0)), _logger);
    }

    private static DispatcherOptions Settings(double busyProcessCpu) => new()
    {
        Concurrency = 8, BatchSize = 64, ConcurrencyUnderLoad = 2, BatchSizeUnderLoad = 4, BusyIntakeInFlight = 10,
        BusyIntakeRequestsPerSecond = 1_000, BusyIntakeNotificationsPerSecond = 20_000, BusyProcessCpu = busyProcessCpu, PauseUnderLoad = TimeSpan.FromMilliseconds(5),
    };

    private int Logged(int eventId) => _logger.Collector.GetSnapshot().Count(r => r.Id.Id == eventId);

    /// <summary>Pacing with BusyProcessCpu 0.5, after a second in which the process used <paramref name="share"/> of the 2 cores.</summary>
    private DispatchPacing PacingAfterCpu(double share)
    {
        var pacing = new DispatchPacing(_load, _cpu, Options.Create(Settings(busyProcessCpu: 0.5)), _logger);
        UseCpu(share);
        return pacing;
    }

    private void UseCpu(double share)
    {
        _cpu.Recent();
        _time.Advance(TimeSpan.FromSeconds(1));
        _cpuUsed += TimeSpan.FromSeconds(2 * share);
    }

    [Fact]
    public void A_busy_intake_with_cores_to_spare_leaves_handling_at_full_speed()
    {
        var pacing = PacingAfterCpu(0.2);

        _load.OneByOne(5_000);
        _load.Overlapping(30);

        Assert.Equal(new DispatchPace(8, 64, TimeSpan.Zero, UnderLoad: false), pacing.Next());
        Assert.Equal(0, _logger.Collector.Count);
    }

    [Fact]
    public void A_process_using_every_core_with_a_quiet_intake_handles_at_full_speed()
    {
        var pacing = PacingAfterCpu(1.0);

        _load.OneByOne(10);

        Assert.False(pacing.Next().UnderLoad);
    }

    [Fact]
    public void A_busy_intake_on_a_short_cpu_slows_handling_for_as_long_as_the_intake_stays_busy()
    {
        var pacing = PacingAfterCpu(0.6);
        _load.OneByOne(1_000);

        Assert.True(pacing.Next().UnderLoad);
        var busy = Assert.Single(_logger.Collector.GetSnapshot());
        Assert.Equal("60", busy.GetStructuredStateValue("CpuPercent"));

        // The trickle frees the CPU full speed took: that alone does not switch back (it would flip every second).
        UseCpu(0.1);
        _load.OneByOne(1_000);
        Assert.True(pacing.Next().UnderLoad, "10 % of the cores while trickling, the intake still busy: still slow");

        UseCpu(0.1);
        _load.OneByOne(499);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(pacing.Next().UnderLoad, "a second of 499 requests/s is under half the rate");
        Assert.Equal(1, Logged(QuietEventId));
    }

    [Fact]
    public void Few_requests_carrying_many_notifications_slow_handling_until_under_half_their_rate()
    {
        _load.Batches(200, 100);
        Assert.True(_pacing.Next().UnderLoad, "200 requests/s of 100 notifications reach the 20 000 notifications/s threshold");
        var busy = Assert.Single(_logger.Collector.GetSnapshot());
        Assert.Equal("20000", busy.GetStructuredStateValue("NotificationsPerSecond"));
        Assert.Equal("200", busy.GetStructuredStateValue("RequestsPerSecond"));

        _time.Advance(TimeSpan.FromSeconds(1));
        _load.Batches(100, 100);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(_pacing.Next().UnderLoad, "10 000 notifications/s is half the threshold: still busy");

        _load.Batches(100, 99);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(_pacing.Next().UnderLoad);
        Assert.Equal("9900", _logger.Collector.LatestRecord.GetStructuredStateValue("NotificationsPerSecond"));
        Assert.Equal(1, Logged(UnderLoadEventId));
        Assert.Equal(1, Logged(QuietEventId));
    }

    [Fact]
    public void A_flood_of_requests_answered_at_once_slows_handling_too_until_under_half_the_rate()
    {
        _load.OneByOne(1_000);
        Assert.True(_pacing.Next().UnderLoad, "1 000 requests/s reach the rate threshold though none found another in flight");

        _time.Advance(TimeSpan.FromSeconds(1));
        _load.OneByOne(500);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(_pacing.Next().UnderLoad, "500 requests/s is half the threshold: still busy");

        _load.OneByOne(499);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(_pacing.Next().UnderLoad);
        Assert.Equal(1, Logged(UnderLoadEventId));
        Assert.Equal(1, Logged(QuietEventId));
    }

    [Fact]
    public void Many_requests_answered_as_they_come_leave_handling_at_full_speed()
    {
        _load.OneByOne(900);
        _load.Overlapping(19);

        Assert.Equal(new DispatchPace(8, 64, TimeSpan.Zero, UnderLoad: false), _pacing.Next());
        Assert.Equal(0, _logger.Collector.Count);
    }

    [Fact]
    public void Queueing_requests_slow_handling_until_a_second_under_half_the_threshold()
    {
        _load.Overlapping(21);
        Assert.Equal(new DispatchPace(2, 4, TimeSpan.FromMilliseconds(5), UnderLoad: true), _pacing.Next());
        Assert.True(_pacing.Next().UnderLoad);
        var busy = Assert.Single(_logger.Collector.GetSnapshot());
        Assert.Equal(UnderLoadEventId, busy.Id.Id);
        Assert.Equal(LogLevel.Information, busy.Level);
        Assert.Equal("21", busy.GetStructuredStateValue("RequestsPerSecond"));
        Assert.Equal("10", busy.GetStructuredStateValue("InFlight"));

        _time.Advance(TimeSpan.FromSeconds(1));
        _load.Overlapping(11);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(_pacing.Next().UnderLoad, "5 in flight is at half the threshold: still busy");

        _load.Overlapping(9);
        Assert.True(_pacing.Next().UnderLoad, "the current second has fewer requests: the last full one counts");
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(new DispatchPace(8, 64, TimeSpan.Zero, UnderLoad: false), _pacing.Next());
        Assert.False(_pacing.Next().UnderLoad);

        Assert.Equal(1, Logged(UnderLoadEventId));
        Assert.Equal(1, Logged(QuietEventId));
    }

    [Fact]
    public async Task Dispatcher_under_a_busy_intake_handles_one_at_a_time_and_still_handles_everything()
    {
        var handler = new RecordingHandler(ResourceType.Message);
        using var service = SlowingService(handler, "Dispatcher:BusyIntakeInFlight", "1");
        await PostSixItemsAsync(service);
        var load = service.Services.GetRequiredService<IntakeLoad>();
        for (var i = 0; i < 5; i++)
        {
            load.RequestStarted(); // five requests still being answered: the intake queues
        }

        await AssertHandledFourThenTwoOneAtATimeAsync(service, handler);
        Assert.Equal(6, (await service.Inbox.CountAsync(default)).Done);
        Assert.Contains(service.Logs.GetSnapshot(), r => r.Id.Id == UnderLoadEventId);
    }

    [Fact]
    public async Task Dispatcher_slows_for_a_batch_carrying_more_notifications_a_second_than_the_threshold()
    {
        var handler = new RecordingHandler(ResourceType.Message);
        using var service = SlowingService(handler, "Dispatcher:BusyIntakeNotificationsPerSecond", "5");

        await PostSixItemsAsync(service);

        await AssertHandledFourThenTwoOneAtATimeAsync(service, handler);
        var busy = Assert.Single(service.Logs.GetSnapshot(), r => r.Id.Id == UnderLoadEventId);
        Assert.Equal("6", busy.GetStructuredStateValue("NotificationsPerSecond"));
        Assert.Equal("1", busy.GetStructuredStateValue("RequestsPerSecond"));
    }

    /// <summary>A service whose intake is busy past <paramref name="threshold"/> = <paramref name="value"/> whatever the
    /// CPU, handling 4 a round then.</summary>
    private static ServiceFactory SlowingService(RecordingHandler handler, string threshold, string value) => new ServiceFactory()
        .WithSetting(threshold, value)
        .WithSetting("Dispatcher:BusyProcessCpu", "0")
        .WithSetting("Dispatcher:BatchSizeUnderLoad", "4")
        .WithHandler(handler);

    private static async Task PostSixItemsAsync(ServiceFactory service)
    {
        var sub = service.Subscriptions.Add("/users/5b0c9a6d-1e2f-4a3b-8c4d-9e0f1a2b3c4d/messages");
        var items = Enumerable.Range(0, 6).Select(_ => Payloads.Item(sub)).ToArray();
        var response = await service.CreateClient().PostAsync("/api/notifications", Payloads.Json(Payloads.Batch(items)));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    private static async Task AssertHandledFourThenTwoOneAtATimeAsync(ServiceFactory service, RecordingHandler handler)
    {
        Assert.Equal(4, await service.Dispatcher.RunOnceAsync(default));
        Assert.Equal(2, await service.Dispatcher.RunOnceAsync(default));
        Assert.Equal(6, handler.Handled.Count);
        Assert.Equal(1, handler.MaxInFlight);
    }

    [Fact]
    public async Task Dispatcher_under_a_quiet_intake_handles_items_at_once()
    {
        var handler = new RecordingHandler(ResourceType.Message) { WaitForPeers = 3 };
        using var service = new ServiceFactory().WithHandler(handler);
        var sub = service.Subscriptions.Add("/users/5b0c9a6d-1e2f-4a3b-8c4d-9e0f1a2b3c4d/messages");
        var response = await service.CreateClient().PostAsync("/api/notifications", Payloads.Json(Payloads.Batch(Payloads.Item(sub), Payloads.Item(sub), Payloads.Item(sub))));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        Assert.Equal(3, await service.Dispatcher.RunOnceAsync(default));

        Assert.Equal(3, handler.Handled.Count);
        Assert.Equal(3, handler.MaxInFlight);
        Assert.False(service.Services.GetRequiredService<DispatchPacing>().UnderLoad);
    }

    [Theory]
    [InlineData("0", "Dispatcher:ConcurrencyUnderLoad must be between 1 and Dispatcher:Concurrency")]
    [InlineData("9", "Dispatcher:ConcurrencyUnderLoad must be between 1 and Dispatcher:Concurrency")]
    public void Load_concurrency_outside_one_to_concurrency_is_refused_naming_the_setting(string value, string message)
    {
        var result = ValidateWith(o => o.ConcurrencyUnderLoad = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture));

        Assert.True(result.Failed);
        Assert.Contains(message, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Threshold_and_pause_are_validated_naming_the_setting()
    {
        var result = ValidateWith(o =>
        {
            o.BusyIntakeInFlight = 0.5;
            o.BusyIntakeRequestsPerSecond = 0;
            o.BusyIntakeNotificationsPerSecond = 0;
            o.BatchSizeUnderLoad = 65;
            o.PauseUnderLoad = TimeSpan.FromSeconds(2);
            o.BusyProcessCpu = 1.5;
        });

        Assert.Contains("Dispatcher:BusyIntakeInFlight must be at least 1", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Dispatcher:BusyIntakeRequestsPerSecond must be at least 1", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Dispatcher:BusyIntakeNotificationsPerSecond must be at least 1", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Dispatcher:BatchSizeUnderLoad must be between 1 and Dispatcher:BatchSize (64)", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Dispatcher:PauseUnderLoad must be between", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Dispatcher:BusyProcessCpu must be between 0 and 1", result.FailureMessage, StringComparison.Ordinal);
    }

    private static ValidateOptionsResult ValidateWith(Action<DispatcherOptions> change)
    {
        var options = new DispatcherOptions();
        change(options);
        return new DispatcherOptionsValidator().Validate(null, options);
    }
}
