using System.Diagnostics;
using ChangeNotifications.Storage;
using ChangeNotifications.Storage.Postgres;
using ChangeNotifications.Subscriptions;
using ChangeNotifications.Tests.Infrastructure;
using ChangeNotifications.Tests.Subscriptions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Graph.Models;
using Xunit.Abstractions;

namespace ChangeNotifications.Tests.Storage.Postgres;

/// <summary>
/// One renewer among instances sharing PostgreSQL: the advisory-lock lease, its loss when the leader's session ends,
/// the takeover, and lifecycle intentions recorded by any instance carried out by the leader.
/// </summary>
public sealed class PostgresLeaderLeaseTests(ITestOutputHelper output)
{
    private static readonly string Messages = $"/users/{GraphEmulator.Tenant.SeedIds.UserId}/messages";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task With_Storage_Provider_Postgres_the_service_registers_the_PostgreSQL_lease_whatever_the_order(bool storageFirst)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Postgres",
            ["ConnectionStrings:ChangeNotifications"] = "Host=127.0.0.1;Port=1;Username=cn;Database=cn",
        }).Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<IHostEnvironment>(new TestEnvironment(Path.GetTempPath()));
        if (storageFirst)
        {
            services.AddStorage(configuration).AddSubscriptionManagement(configuration);
        }
        else
        {
            services.AddSubscriptionManagement(configuration).AddStorage(configuration);
        }

        await using var provider = services.BuildServiceProvider();

        Assert.IsType<PostgresLeaderLease>(provider.GetRequiredService<ILeaderLease>());
    }

    [Fact]
    public void Without_a_connection_string_the_lease_names_the_missing_setting()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Storage:Provider"] = "Postgres" }).Build();
        using var provider = new ServiceCollection().AddLogging().AddSingleton<IHostEnvironment>(new TestEnvironment(Path.GetTempPath()))
            .AddStorage(configuration).AddSubscriptionManagement(configuration).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<ILeaderLease>());

        Assert.Contains("ConnectionStrings:ChangeNotifications must be set when Storage:Provider is Postgres.", error.Message, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task Only_one_of_three_instances_leads_and_only_the_leader_calls_graph()
    {
        await using var group = await LeaderGroup.StartAsync(3, new FakeTimeProvider(SubscriptionHarness.Start), [(Messages, "created")]);

        await group.TickAllAsync();
        await group.TickAllAsync();

        Assert.Equal([0], group.Leaders());
        Assert.Single(group.LogsWithId(0, PostgresLeaderLease.AcquiredId));
        Assert.Empty(group.LogsWithId(1, PostgresLeaderLease.AcquiredId));
        Assert.Empty(group.LogsWithId(2, PostgresLeaderLease.AcquiredId));
        Assert.Single(group.Emulator.Control.Subscriptions);
        Assert.Single(group.LogsWithId(0, SubscriptionLog.CreatedId));
        Assert.Equal(PostgresLeaderLease.InstanceName, group.LogsWithId(0, PostgresLeaderLease.AcquiredId)[0].Property("Instance"));
    }

    [PostgresFact]
    public async Task A_leader_whose_session_is_terminated_stops_at_once_and_another_takes_over_and_acts_within_the_bound()
    {
        var retry = TimeSpan.FromSeconds(2);
        await using var group = await LeaderGroup.StartAsync(2, TimeProvider.System, [(Messages, "created")], s =>
        {
            s["Subscriptions:LeaseRetryInterval"] = retry.ToString();
            s["Subscriptions:ReconcileInterval"] = "01:00:00"; // only the lease's polls wake the loops in this test
        });
        using var stop = new CancellationTokenSource();
        var first = group.Reconciler(0);
        await first.StartAsync(stop.Token);
        await RealClock.WaitUntilAsync(() => group.Emulator.Control.Subscriptions.Count == 1);
        var second = group.Reconciler(1);
        await second.StartAsync(stop.Token);
        await Task.Delay(retry * 2); // the second instance tries, and is refused, at least once
        Assert.Equal([0], group.Leaders());
        var graphId = Assert.Single(group.Emulator.Control.Subscriptions).Id;

        var clock = Stopwatch.StartNew();
        Assert.Equal(1, await group.TerminateLeaderSessionAsync());
        await RealClock.WaitUntilAsync(() => group.Lease(0).Lost.IsCancellationRequested, seconds: 10);
        var lostAfter = clock.Elapsed;
        await RealClock.WaitUntilAsync(() => group.LogsWithId(1, PostgresLeaderLease.AcquiredId).Count == 1, seconds: 30);
        var takeover = clock.Elapsed;

        // A lifecycle event reaching the old leader is only recorded there; the new leader carries it out.
        await group.LifecycleAsync(0, graphId, LifecycleEventType.SubscriptionRemoved);
        await RealClock.WaitUntilAsync(() => group.LogsWithId(1, SubscriptionLog.RecreatedId).Count == 1, seconds: 30);
        var acted = clock.Elapsed;
        output.WriteLine($"retry interval {retry.TotalSeconds} s: lease lost by the old leader after {lostAfter.TotalMilliseconds:F0} ms, taken over after {takeover.TotalMilliseconds:F0} ms; subscriptionRemoved received by the old leader, recreation by the new one after {acted.TotalMilliseconds:F0} ms");

        Assert.Single(group.LogsWithId(0, PostgresLeaderLease.LostId));
        Assert.Single(group.LogsWithId(0, SubscriptionLog.LeftToReconcilingInstanceId));
        Assert.Empty(group.LogsWithId(0, SubscriptionLog.RecreatedId));
        Assert.True(takeover < retry * 2 + TimeSpan.FromSeconds(3), $"takeover took {takeover}");
        var record = Assert.Single(await group.Store(1).ListAsync(CancellationToken.None));
        Assert.NotEqual(graphId, record.GraphId);
        Assert.Null(record.RecreateReason);
        Assert.Equal(record.GraphId, Assert.Single(group.Emulator.Control.Subscriptions).Id);

        stop.Cancel();
        await first.StopAsync(CancellationToken.None);
        await second.StopAsync(CancellationToken.None);
    }

    [PostgresFact]
    public async Task Thirty_simulated_days_with_a_leader_change_every_three_days_and_no_lapse()
    {
        var time = new FakeTimeProvider(SubscriptionHarness.Start);
        await using var group = await LeaderGroup.StartAsync(3, time, SubscriptionTestPaths.AllFourteen.Select(p => (p.Resource, p.ChangeType)));
        var step = TimeSpan.FromMinutes(30);
        var end = SubscriptionHarness.Start.AddDays(30);
        var nextChange = SubscriptionHarness.Start.AddDays(3);
        var first = 0;
        var changes = new List<string>();
        var lapses = 0;

        await group.TickAllAsync();
        while (time.GetUtcNow() < end)
        {
            time.Advance(step);
            if (time.GetUtcNow() >= nextChange)
            {
                var leader = Assert.Single(group.Leaders());
                if (changes.Count % 2 == 0)
                {
                    Assert.Equal(1, await group.TerminateLeaderSessionAsync());
                    await RealClock.WaitUntilAsync(() => group.Lease(leader).Lost.IsCancellationRequested, seconds: 10);
                }
                else
                {
                    await group.RestartAsync(leader); // a stopping host releases its lock
                }

                first = (leader + 1) % group.Count;
                changes.Add($"{time.GetUtcNow():MM-dd HH:mm} {leader} ({(changes.Count % 2 == 0 ? "session terminated" : "restarted")}) -> ");
                nextChange = nextChange.AddDays(3);
            }

            await group.TickAllAsync(first);
            var leaders = group.Leaders();
            Assert.Single(leaders);
            if (changes.Count > 0 && changes[^1].EndsWith("-> ", StringComparison.Ordinal))
            {
                changes[^1] += leaders[0];
            }

            var now = time.GetUtcNow();
            var live = group.Emulator.Control.Subscriptions.ToDictionary(s => s.Id);
            foreach (var record in await group.Store(leaders[0]).ListAsync(CancellationToken.None))
            {
                if (record.GraphId is not { } id || !live.TryGetValue(id, out var inEmulator) || inEmulator.ExpirationDateTime <= now)
                {
                    lapses++;
                    output.WriteLine($"lapse at {now:O}: {record}");
                }
            }

            Assert.All(live.Values, s => Assert.True(s.ExpirationDateTime > now + step, $"{s.Resource} expires at {s.ExpirationDateTime:O}, within the next step"));
        }

        var all = Enumerable.Range(0, group.Count).ToList();
        int Count(int eventId) => all.Sum(i => group.LogsWithId(i, eventId).Count);
        output.WriteLine($"30 simulated days, 3 instances, 14 subscriptions: {changes.Count} leader changes, {Count(SubscriptionLog.CreatedId)} created, {Count(SubscriptionLog.RenewedId)} renewals, {Count(SubscriptionLog.RecreatedId)} recreations, {lapses} lapses, {Count(SubscriptionLog.OperationFailedId)} failed calls");
        foreach (var change in changes)
        {
            output.WriteLine($"  {change}");
        }

        Assert.Equal(10, changes.Count); // every third day of 30, the last one included
        Assert.All(changes, c => Assert.False(c.EndsWith("-> ", StringComparison.Ordinal), $"no new leader: {c}"));
        Assert.Equal(0, lapses);
        Assert.Equal(14, Count(SubscriptionLog.CreatedId));
        Assert.Equal(0, Count(SubscriptionLog.RecreatedId));
        Assert.Equal(0, Count(SubscriptionLog.OperationFailedId));
        Assert.Equal(14, group.Emulator.Control.Subscriptions.Count);
        Assert.All(all, i => Assert.NotEmpty(group.LogsWithId(i, SubscriptionLog.RenewedId)));
    }
}
