using System.Text.Json;
using ChangeNotifications.Inbox;
using ChangeNotifications.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ChangeNotifications.Tests.Faults;

/// <summary>
/// The built service is SIGKILLed during sustained load and restarted on the same SQLite file: every notification
/// answered 202 is stored once and handled; the only repeats are the items a handler was on when the process died.
/// The first process handles while the load runs, slowly, so that the restarted one has a backlog to handle.
/// </summary>
[Collection(ProcessTestsCollection.Name)]
public sealed class SigkillTests(ITestOutputHelper output) : IDisposable
{
    private const int HandledEventId = 2010;
    private const int ReleasedEventId = 2001;
    private readonly TempDirectory _directory = new("cn-faults-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Every_notification_answered_202_before_a_SIGKILL_is_handled_after_restart_and_none_twice_in_effect()
    {
        var database = _directory.File("service.db");
        var subscriptions = await SubscriptionSeed.SeedAsync(database, count: 4, CancellationToken.None, NotificationLoad.Resource);
        var settings = new Dictionary<string, string> { ["Dispatcher:InitialBackoff"] = "00:00:00.200" };

        // The first process trickles while the load runs (any request makes the intake busy: 2 items a round, 250 ms
        // apart, at most 8 a second: 240 in the 30 s allowed for the 300 acknowledgements the kill waits for),
        // so that a backlog is left for the restart whatever the machine's speed: at full speed a fast machine handled
        // every notification before the kill, and there was nothing left to prove the restart handles.
        var trickle = new Dictionary<string, string>(settings)
        {
            ["Dispatcher:BusyIntakeRequestsPerSecond"] = "1",
            ["Dispatcher:BusyProcessCpu"] = "0",
            ["Dispatcher:BatchSizeUnderLoad"] = "2",
            ["Dispatcher:PauseUnderLoad"] = "00:00:00.250",
        };
        var first = await ServiceProcess.StartAsync(ServiceLaunch.ReceiverDll, database, trickle);
        // Requests of 1, 2 and 3 notifications in turn: single items get their own rows, the others are stored batches.
        var load = new NotificationLoad(first.BaseAddress, subscriptions, "kill", maxBatch: 3);
        using var stop = new CancellationTokenSource();
        var running = load.RunAsync(workers: 16, stop.Token);
        await WaitForAsync(() => load.Accepted.Count >= 300, TimeSpan.FromSeconds(30));
        first.Kill();
        await Task.Delay(300);
        await stop.CancelAsync();
        await running;
        var handledBeforeKill = first.EventsWithId(HandledEventId).Count;
        await first.DisposeAsync();

        await using var second = await ServiceProcess.StartAsync(ServiceLaunch.ReceiverDll, database, settings);
        var rows = await InboxRows.WaitUntilSettledAsync(database, TimeSpan.FromSeconds(40));
        var handledAfterRestart = second.EventsWithId(HandledEventId).Count;
        var released = second.EventsWithId(ReleasedEventId).Sum(e => e.GetProperty("Count").GetInt32());

        var handled = handledBeforeKill + handledAfterRestart;
        var rehandled = handled - rows.Count;
        output.WriteLine($"answered 202: {load.Accepted.Count}; not answered (killed): {load.Failed}; refused: {load.Refused}");
        output.WriteLine($"inbox rows: {rows.Count} ({rows.Values.Count(s => s == InboxItemStatus.Done)} done); handled before kill: {handledBeforeKill}, after restart: {handledAfterRestart}; claims released at restart: {released}; handled twice: {rehandled}");

        Assert.True(load.Failed > 0, "The kill landed after the load had stopped: nothing was in flight.");
        var lost = load.Accepted.Keys.Where(id => !rows.ContainsKey(id)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} notifications answered 202 are not in the inbox, e.g. {string.Join(", ", lost.Take(5))}.");
        Assert.All(rows, row => Assert.Equal(InboxItemStatus.Done, row.Value));
        Assert.InRange(rehandled, 0, released);
        Assert.True(handledAfterRestart > 0, "Nothing was left for the restarted service to handle.");
    }

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Condition not met within {timeout}.");
            await Task.Delay(20);
        }
    }
}
