using ChangeNotifications.Subscriptions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Graph.Models;

namespace ChangeNotifications.Tests.Subscriptions;

/// <summary>The reconciler acts only while it holds the leader lease; a single-node store always holds it.</summary>
public sealed class LeaderLeaseTests
{
    private static readonly string Messages = $"/users/{GraphEmulator.Tenant.SeedIds.UserId}/messages";

    [Fact]
    public async Task The_single_node_lease_always_holds()
    {
        var lease = new SingleNodeLeaderLease();

        Assert.True(await lease.HoldsAsync(CancellationToken.None));
        Assert.True(await lease.HoldsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task The_service_registers_the_single_node_lease()
    {
        await using var harness = await SubscriptionHarness.StartAsync([(Messages, "created")]);

        Assert.IsType<SingleNodeLeaderLease>(harness.Services.GetRequiredService<ILeaderLease>());
    }

    [Fact]
    public async Task Without_the_lease_a_pass_calls_graph_for_nothing_and_writes_nothing()
    {
        var lease = new SwitchableLease();
        await using var harness = await SubscriptionHarness.StartAsync([(Messages, "created")], services: s => s.AddSingleton<ILeaderLease>(lease));
        harness.Emulator.Control.FailNextRequests(1, 503); // any Graph call would take this fault and log it

        await harness.TickAsync();
        await harness.AdvanceAndTickAsync(TimeSpan.FromHours(1));

        Assert.Empty(harness.Emulator.Control.Subscriptions);
        Assert.Empty(await harness.Store.ListAsync(CancellationToken.None));
        Assert.Empty(harness.LogsWithId(SubscriptionLog.ListFailedId));
        Assert.Empty(harness.LogsWithId(SubscriptionLog.OperationFailedId));

        lease.Holds = true;
        await harness.TickAsync();

        Assert.Single(harness.LogsWithId(SubscriptionLog.ListFailedId)); // the fault was still waiting
        Assert.Single(harness.Emulator.Control.Subscriptions);
    }

    [Fact]
    public async Task A_lifecycle_event_without_the_lease_is_stored_and_carried_out_by_the_next_leading_pass()
    {
        var lease = new SwitchableLease { Holds = true };
        await using var harness = await SubscriptionHarness.StartAsync([(Messages, "created")], services: s => s.AddSingleton<ILeaderLease>(lease));
        await harness.TickAsync();
        var id = (await harness.RecordAsync(Messages)).GraphId!.Value;
        harness.Time.Advance(TimeSpan.FromMinutes(50));
        lease.Holds = false;

        await harness.LifecycleAsync(id, LifecycleEventType.ReauthorizationRequired);

        Assert.True((await harness.RecordAsync(Messages)).ReauthorizationPending);
        Assert.Empty(harness.LogsWithId(SubscriptionLog.ReauthorizedId));
        Assert.Single(harness.LogsWithId(SubscriptionLog.LeftToReconcilingInstanceId));

        lease.Holds = true;
        await harness.TickAsync();

        Assert.Equal("reauthorize", Assert.Single(harness.LogsWithId(SubscriptionLog.ReauthorizedId)).Property("How"));
        var record = await harness.RecordAsync(Messages);
        Assert.False(record.ReauthorizationPending);
        Assert.Equal(harness.Time.GetUtcNow(), record.LastReauthorizedAt);
    }

    private sealed class SwitchableLease : ILeaderLease
    {
        public bool Holds { get; set; }

        public ValueTask<bool> HoldsAsync(CancellationToken cancellationToken) => ValueTask.FromResult(Holds);
    }
}
