using ChangeNotifications.Resources;
using ChangeNotifications.Subscriptions;
using Xunit.Abstractions;

namespace ChangeNotifications.Tests.Subscriptions;

/// <summary>30 simulated days of the reconciler against the emulator: one subscription per resource type.</summary>
public sealed class SubscriptionRenewalMonthTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Thirty_days_of_renewals_for_all_fourteen_resource_types_without_a_lapse()
    {
        await using var harness = await SubscriptionHarness.StartAsync(SubscriptionTestPaths.AllFourteen.Select(p => (p.Resource, p.ChangeType)));
        var catalog = new ResourceCatalog();
        var maxByResource = SubscriptionTestPaths.AllFourteen.ToDictionary(p => p.Resource, p => catalog.Find(ResourcePath.Parse(p.Resource))!.MaxLifetime);
        var step = TimeSpan.FromMinutes(30);
        var end = SubscriptionHarness.Start.AddDays(30);
        var lapses = 0;
        var pastMaximum = 0;
        var checks = 0;

        await harness.TickAsync();
        while (harness.Time.GetUtcNow() < end)
        {
            await harness.AdvanceAndTickAsync(step);
            var now = harness.Time.GetUtcNow();
            var live = harness.Emulator.Control.Subscriptions.ToDictionary(s => s.Id);
            foreach (var record in await harness.Store.ListAsync(CancellationToken.None))
            {
                checks++;
                if (record.GraphId is not { } id || !live.TryGetValue(id, out var inEmulator) || inEmulator.ExpirationDateTime <= now)
                {
                    lapses++;
                    output.WriteLine($"lapse at {now:O}: {record}");
                    continue;
                }

                if (inEmulator.ExpirationDateTime - now > maxByResource[record.Resource])
                {
                    pastMaximum++;
                }
            }

            // Before the next step, every subscription must still outlive it (Graph deletes expired ones).
            Assert.All(live.Values, s => Assert.True(s.ExpirationDateTime > now + step, $"{s.Resource} expires at {s.ExpirationDateTime:O}, within the next step"));
        }

        var renewals = harness.LogsWithId(SubscriptionLog.RenewedId);
        var recreations = harness.LogsWithId(SubscriptionLog.RecreatedId).Count;
        var creations = harness.LogsWithId(SubscriptionLog.CreatedId).Count;
        var failures = harness.LogsWithId(SubscriptionLog.OperationFailedId);
        output.WriteLine($"30 simulated days, 14 resource types: {creations} created, {renewals.Count} renewals, {recreations} recreations, {lapses} lapses, {pastMaximum} renewals past the maximum, {failures.Count} failed calls ({checks} checks every {step.TotalMinutes} min)");
        foreach (var group in renewals.GroupBy(r => r.Property("Resource")).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"  {group.Count(),3} renewals  {group.Key}");
        }

        Assert.Equal(14, creations);
        Assert.Equal(0, lapses);
        Assert.Equal(0, pastMaximum);
        Assert.Equal(0, recreations);
        Assert.Empty(failures);
        Assert.Equal(14, harness.Emulator.Control.Subscriptions.Count);

        // Each resource renews about once per half of its maximum lifetime: 30 days / (max / 2), give or take jitter.
        foreach (var (_, resource, _) in SubscriptionTestPaths.AllFourteen)
        {
            var expected = TimeSpan.FromDays(30) / (maxByResource[resource] / 2);
            var actual = renewals.Count(r => r.Property("Resource") == resource);
            Assert.InRange(actual, Math.Floor(expected * 0.85) - 1, Math.Ceiling(expected * 1.15) + 1);
        }
    }
}
