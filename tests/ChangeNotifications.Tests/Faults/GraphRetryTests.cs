using System.Globalization;
using ChangeNotifications.GraphEmulator.Hosting;
using ChangeNotifications.Inbox;
using ChangeNotifications.Subscriptions;
using ChangeNotifications.Tests.Emulator;
using Microsoft.Graph.Models;
using ChangeNotifications.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ChangeNotifications.Tests.Faults;

/// <summary>
/// Graph-side retry: the emulator (in the test process) delivers to the built service (a child process on a fixed
/// loopback port). The service is down while changes happen; the emulator's deliveries fail and are retried with
/// backoff; the service comes back on the same port and store; every change lands and is handled once.
/// Downtime: <c>FAULTS_DOWNTIME_SECONDS</c> (default 10, so the test stays under a minute; faults.sh uses 30).
/// </summary>
[Collection(ProcessTestsCollection.Name)]
public sealed class GraphRetryTests(ITestOutputHelper output) : IDisposable
{
    private const int Changes = 20;
    private const int HandledEventId = 2010;
    private readonly TempDirectory _directory = new("cn-graph-retry-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Deliveries_retried_by_Graph_while_the_service_is_down_land_after_it_is_back_and_are_handled_once()
    {
        var downtime = TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("FAULTS_DOWNTIME_SECONDS"), CultureInfo.InvariantCulture, out var s) ? s : 10);
        await using var emulator = await EmulatorFixture.StartAsync(o =>
        {
            o.Retry = new DeliveryRetryOptions { InitialDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(2), MaxAttempts = 1_000 };
            // Graph would also throttle an endpoint that fails this much; that is not what this test is about.
            o.Throttling = new EndpointThrottlingOptions { MinimumSamples = int.MaxValue };
        });
        var database = _directory.File("service.db");
        var port = ServiceProcess.FreePort();

        // The service answers the creation handshake, then dies; its store learns the subscription.
        var first = await ServiceProcess.StartAsync(ServiceLaunch.ReceiverDll, database, port: port);
        var clientState = ClientStateGenerator.Create();
        var created = await emulator.Graph.Subscriptions.PostAsync(new Subscription
        {
            Resource = "/users",
            ChangeType = "updated",
            NotificationUrl = $"http://127.0.0.1:{port}/api/notifications",
            ClientState = clientState,
            ExpirationDateTime = DateTimeOffset.UtcNow.AddDays(1),
        });
        first.Kill();
        await first.DisposeAsync();
        var graphId = Guid.Parse(created!.Id!);
        await SubscriptionSeed.StoreAsync(database, [new SubscriptionRecord
        {
            Key = "graph-retry", Resource = "/users", ChangeType = "updated", ClientState = clientState,
            GraphId = graphId, ExpiresAt = created.ExpirationDateTime,
        }], CancellationToken.None);

        for (var i = 0; i < Changes; i++)
        {
            Assert.Equal(1, emulator.Control.TriggerChange(graphId, changeType: "updated"));
        }

        await Task.Delay(downtime);
        var whileDown = emulator.Control.Counters;
        Assert.Equal(0, whileDown.Delivered);
        Assert.True(whileDown.FailedAttempts > 0, "The emulator has not tried to deliver while the service was down.");

        await using var second = await ServiceProcess.StartAsync(ServiceLaunch.ReceiverDll, database, port: port);
        var after = await emulator.Control.WaitForCountersAsync(c => c.Delivered >= Changes, TimeSpan.FromSeconds(30));
        var rows = await InboxRows.WaitUntilSettledAsync(database, TimeSpan.FromSeconds(20));
        await Task.Delay(500);
        var handled = second.EventsWithId(HandledEventId).Count;
        output.WriteLine($"down {downtime.TotalSeconds:0} s: {whileDown.FailedAttempts} failed delivery attempts, {whileDown.Retried} retries queued; " +
            $"after restart: {after.Delivered} delivered, {after.Dropped} dropped; inbox rows {rows.Count} ({rows.Values.Count(v => v == InboxItemStatus.Done)} done); handled {handled}");

        Assert.Equal(Changes, after.Delivered);
        Assert.Equal(0, after.Dropped);
        Assert.Equal(Changes, rows.Count);
        Assert.All(rows, row => Assert.Equal(InboxItemStatus.Done, row.Value));
        Assert.Equal(Changes, handled);
    }
}
