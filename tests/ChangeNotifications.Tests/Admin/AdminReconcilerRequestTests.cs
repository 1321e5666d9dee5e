using System.Net;
using ChangeNotifications.GraphEmulator.Tenant;
using ChangeNotifications.Resources;
using ChangeNotifications.Subscriptions;
using ChangeNotifications.Tests.Infrastructure;
using ChangeNotifications.Tests.Subscriptions;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace ChangeNotifications.Tests.Admin;

/// <summary>
/// Requests to the reconciler through the admin API, on the real service (Kestrel, its in-process emulator, a real SQLite
/// file): the request only records the intention and wakes the reconciler's loop, whose pass carries it out. The clock
/// is frozen, so nothing falls due on its own: whatever the loop does, it does because it was asked.
/// </summary>
public sealed class AdminReconcilerRequestTests : IAsyncLifetime
{
    private static readonly string Messages = $"/users/{SeedIds.UserId}/messages";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero));
    private readonly RecordingResyncHandler _resyncs = new(ResourceType.Message);
    private readonly TempSqlite _file = new();
    private WebApplicationFactory<Program> _factory = null!;

    public Task InitializeAsync()
    {
        _factory = KestrelService.Start(_file.FilePath, _time, _resyncs, new Dictionary<string, string?>
        {
            ["Subscriptions:Items:0:Resource"] = Messages,
            ["Subscriptions:Items:0:ChangeType"] = "created",
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        _file.Dispose();
    }

    [Fact]
    public async Task A_forced_renewal_and_resync_are_carried_out_by_the_reconciler()
    {
        var store = _factory.Services.GetRequiredService<ISubscriptionStore>();
        var logs = _factory.Services.GetFakeLogCollector();
        await RealClock.WaitUntilAsync(() => Record(store)?.GraphId is not null && logs.GetSnapshot().Any(l => l.Id.Id == SubscriptionLog.CreatedId), seconds: 60);
        var created = Record(store)!;
        Assert.Null(created.LastRenewedAt);
        using var client = _factory.CreateClient().WithToken(await AdminTokens.GetAsync(_factory.Services));

        using var renew = await client.PostAsync(new Uri($"/api/admin/subscriptions/renew?key={Uri.EscapeDataString(created.Key)}", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.Accepted, renew.StatusCode);
        // The renewal's log line follows its write to the store.
        await RealClock.WaitUntilAsync(() => logs.GetSnapshot().Any(l => l.Id.Id == SubscriptionLog.RenewedId));
        var renewed = Assert.Single(logs.GetSnapshot(), l => l.Id.Id == SubscriptionLog.RenewedId);
        Assert.Equal(created.Key, renewed.Property("Key"));
        Assert.True(Record(store) is { LastRenewedAt: not null, RenewRequested: false });
        Assert.Equal(created.GraphId, Record(store)!.GraphId);
        Assert.Contains(logs.GetSnapshot(), l => l.Id.Id == 8102 && l.Property("Request") == "renew" && l.Property("Caller") == SeedIds.AdminClientId);

        using var resync = await client.PostAsync(new Uri($"/api/admin/subscriptions/resync?key={Uri.EscapeDataString(created.Key)}", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.Accepted, resync.StatusCode);
        await RealClock.WaitUntilAsync(() => !_resyncs.Resyncs.IsEmpty && Record(store)!.PendingResyncReason is null);
        Assert.Equal(SubscriptionReconciler.ResyncRequestedReason, Assert.Single(_resyncs.Resyncs).Reason);

        using var unknown = await client.PostAsync(new Uri("/api/admin/subscriptions/renew?key=%2Fnothing%7Ccreated", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    private static SubscriptionRecord? Record(ISubscriptionStore store) =>
        store.ListAsync(CancellationToken.None).GetAwaiter().GetResult().SingleOrDefault(r => r.Resource == Messages);
}
