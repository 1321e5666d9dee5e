using ChangeNotifications.Dispatching;
using ChangeNotifications.Graph;
using ChangeNotifications.Graph.Emulator;
using ChangeNotifications.GraphEmulator.Lifecycle;
using ChangeNotifications.GraphEmulator.Tenant;
using ChangeNotifications.Resources;
using ChangeNotifications.Subscriptions;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace ChangeNotifications.Tests.Subscriptions;

/// <summary>
/// The real service as configured (appsettings: 14 subscriptions) on Kestrel (dynamic loopback port) with its in-process emulator: the
/// reconciler subscribes with the service's own address, the emulator's handshakes are answered by the service's
/// endpoints, and a <c>subscriptionRemoved</c> travels intake → inbox → dispatcher → lifecycle handler.
/// </summary>
public sealed class SubscriptionServiceEndToEndTests : IAsyncLifetime
{
    private static readonly string InboxMessages = $"/users/{SeedIds.UserId}/mailFolders('inbox')/messages";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero));
    private readonly RecordingResyncHandler _resyncs = new(ResourceType.Message);
    private readonly TempSqlite _file = new();
    private WebApplicationFactory<Program> _factory = null!;

    public Task InitializeAsync()
    {
        _factory = KestrelService.Start(_file.FilePath, _time, _resyncs);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task The_service_as_configured_subscribes_all_fourteen_at_its_own_address_and_recreates_after_subscriptionRemoved()
    {
        var services = _factory.Services;
        var health = services.GetRequiredService<ISubscriptionHealth>();
        var store = services.GetRequiredService<ISubscriptionStore>();
        var emulator = await services.GetRequiredService<EmulatorHost>().GetServerAsync();
        await RealClock.WaitUntilAsync(() => health.Snapshot() is { Count: 14 } all && all.All(s => s.State == SubscriptionState.Active), seconds: 60);

        Assert.Equal(14, emulator.Control.Subscriptions.Count);
        Assert.All(emulator.Control.Subscriptions, s =>
        {
            Assert.Equal("127.0.0.1", s.NotificationUrl.Host);
            Assert.Equal("/api/notifications", s.NotificationUrl.AbsolutePath);
            Assert.Equal("/api/lifecycle", s.LifecycleNotificationUrl!.AbsolutePath);
        });
        var first = (await store.ListAsync(CancellationToken.None)).Single(r => r.Resource == InboxMessages);
        var live = emulator.Control.Subscriptions.Single(s => s.Id == first.GraphId);

        Assert.True(emulator.Control.SendLifecycleEvent(live.Id, LifecycleEvent.SubscriptionRemoved));
        await emulator.Control.DeliverDueAsync(); // or the emulator's own delivery loop got there first
        var inbox = services.GetRequiredService<ChangeNotifications.Inbox.IInbox>();
        await RealClock.WaitUntilAsync(() => inbox.CountAsync(CancellationToken.None).GetAwaiter().GetResult().Ready == 1);
        Assert.Equal(1, await services.GetRequiredService<NotificationDispatcher>().RunOnceAsync(CancellationToken.None));

        var recreated = (await store.ListAsync(CancellationToken.None)).Single(r => r.Resource == InboxMessages);
        Assert.NotEqual(first.GraphId, recreated.GraphId);
        Assert.Contains(emulator.Control.Subscriptions, s => s.Id == recreated.GraphId);
        Assert.DoesNotContain(emulator.Control.Subscriptions, s => s.Id == first.GraphId);
        Assert.Equal(14, emulator.Control.Subscriptions.Count);
        var resync = Assert.Single(_resyncs.Resyncs);
        Assert.Equal("subscriptionRemoved", resync.Reason);
        var logs = services.GetFakeLogCollector().GetSnapshot();
        Assert.Contains(logs, l => l.Id.Id == SubscriptionLog.RecreatedId && l.Property("OldGraphId") == first.GraphId.ToString());
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        _file.Dispose();
    }
}
