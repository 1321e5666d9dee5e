using ChangeNotifications.Dispatching;
using ChangeNotifications.Handlers;
using ChangeNotifications.Logging;
using ChangeNotifications.Resources;
using ChangeNotifications.Storage;
using ChangeNotifications.Subscriptions;
using ChangeNotifications.Tests.Emulator;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Graph.Models;

namespace ChangeNotifications.Tests.Subscriptions;

/// <summary>
/// The subscription manager as the service wires it (<c>AddSubscriptionManagement</c>), against the Graph emulator
/// through the real GraphServiceClient, a loopback receiver answering the validation handshake, a real SQLite file,
/// and one FakeTimeProvider driving both sides. <see cref="RestartAsync"/> builds a new service over the same file.
/// </summary>
internal sealed class SubscriptionHarness : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 27, 0, 0, 0, TimeSpan.Zero);

    private readonly Dictionary<string, string?> _settings;
    private readonly ISubscriptionEncryptionCertificateSource? _certificates;
    private readonly bool _changeHandlers;
    private readonly Action<IServiceCollection>? _registrations;
    private ServiceProvider _services;

    private SubscriptionHarness(EmulatorFixture emulator, LoopbackReceiver receiver, TempSqlite file, FakeTimeProvider time, Dictionary<string, string?> settings, ISubscriptionEncryptionCertificateSource? certificates, bool changeHandlers, Action<IServiceCollection>? services)
    {
        _changeHandlers = changeHandlers;
        _registrations = services;
        Emulator = emulator;
        Receiver = receiver;
        File = file;
        Time = time;
        _settings = settings;
        _certificates = certificates;
        _services = Build();
    }

    public EmulatorFixture Emulator { get; }

    public LoopbackReceiver Receiver { get; }

    public TempSqlite File { get; }

    public FakeTimeProvider Time { get; }

    public RecordingResyncHandler Resyncs { get; } = new(ResourceType.Message);

    public IServiceProvider Services => _services;

    public SubscriptionReconciler Reconciler => _services.GetRequiredService<SubscriptionReconciler>();

    public ISubscriptionStore Store => _services.GetRequiredService<ISubscriptionStore>();

    public ISubscriptionHealth Health => _services.GetRequiredService<ISubscriptionHealth>();

    public FakeLogCollector Logs => _services.GetFakeLogCollector();

    /// <summary>The emulator's seeded tenant (the one its Graph endpoints serve).</summary>
    public ChangeNotifications.GraphEmulator.Tenant.EmulatedTenant Tenant =>
        (ChangeNotifications.GraphEmulator.Tenant.EmulatedTenant)Emulator.Server.Options.Tenant!;

    /// <summary>The handler the dispatcher would pick for <paramref name="type"/> (with <c>changeHandlers</c>).</summary>
    public IChangeNotificationHandler HandlerFor(ResourceType type) =>
        _services.GetServices<IChangeNotificationHandler>().Last(h => h.ResourceType == type);

    public string NotificationUrl => Receiver.Url.ToString();

    /// <param name="certificates">The encryption certificates rich subscriptions use (none by default).</param>
    /// <param name="changeHandlers">Also the service's handlers (<c>AddChangeHandlers</c>) over the emulator's seeded tenant.</param>
    /// <param name="services">Registrations made before the service's own, which then keep them (e.g. a test lease).</param>
    public static async Task<SubscriptionHarness> StartAsync(
        IEnumerable<(string Resource, string ChangeType)> items,
        Action<Dictionary<string, string?>>? configure = null,
        ISubscriptionEncryptionCertificateSource? certificates = null,
        bool changeHandlers = false,
        Action<IServiceCollection>? services = null)
    {
        var time = new FakeTimeProvider(Start);
        var emulator = await EmulatorFixture.StartAsync(o =>
        {
            o.TimeProvider = time;
            o.AccessTokenLifetime = TimeSpan.FromDays(90); // the credential caches its token on the real clock
        });
        var receiver = await LoopbackReceiver.StartAsync();
        var file = new TempSqlite();
        var settings = new Dictionary<string, string?>
        {
            ["Storage:SqlitePath"] = file.FilePath,
            ["Storage:Durability"] = "Normal",
            ["Subscriptions:NotificationUrl"] = receiver.Url.ToString(),
            ["Subscriptions:LifecycleNotificationUrl"] = receiver.UrlFor("/api/lifecycle").ToString(),
        };
        AddItems(settings, items);
        configure?.Invoke(settings);
        return new SubscriptionHarness(emulator, receiver, file, time, settings, certificates, changeHandlers, services);
    }

    /// <summary>The desired subscriptions as settings (<c>Subscriptions:Items:{n}:Resource</c> / <c>:ChangeType</c>).</summary>
    public static void AddItems(Dictionary<string, string?> settings, IEnumerable<(string Resource, string ChangeType)> items)
    {
        var index = 0;
        foreach (var (resource, changeType) in items)
        {
            settings[$"Subscriptions:Items:{index}:Resource"] = resource;
            settings[$"Subscriptions:Items:{index}:ChangeType"] = changeType;
            index++;
        }
    }

    /// <summary>A new service (store, reconciler, logs) over the same SQLite file, as after a process restart.</summary>
    public async Task RestartAsync(Action<Dictionary<string, string?>>? reconfigure = null)
    {
        reconfigure?.Invoke(_settings);
        await _services.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _services = Build();
    }

    public Task TickAsync() => Reconciler.ReconcileOnceAsync(CancellationToken.None);

    /// <summary>Moves both clocks and runs one reconcile.</summary>
    public async Task AdvanceAndTickAsync(TimeSpan by)
    {
        Time.Advance(by);
        await TickAsync();
    }

    /// <summary>Hands a lifecycle event to the handler as the dispatcher would.</summary>
    public Task LifecycleAsync(Guid graphId, LifecycleEventType lifecycleEvent)
    {
        var handler = _services.GetRequiredService<ILifecycleEventHandler>();
        var notification = new ChangeNotification { SubscriptionId = graphId, LifecycleEvent = lifecycleEvent };
        return handler.HandleAsync(new LifecycleEventContext(notification, lifecycleEvent, null, InboxId: 1, Attempt: 1), CancellationToken.None);
    }

    /// <summary>Creates a subscription in the emulator behind the service's back (as another process, or a lost create, would).</summary>
    public async Task<Subscription> CreateInGraphAsync(string resource, string changeType, string clientState, string? notificationUrl = null)
    {
        var url = notificationUrl ?? NotificationUrl;
        return (await Emulator.Graph.Subscriptions.PostAsync(new Subscription
        {
            Resource = resource,
            ChangeType = changeType,
            NotificationUrl = url,
            LifecycleNotificationUrl = url.Replace("notifications", "lifecycle", StringComparison.Ordinal),
            ExpirationDateTime = Time.GetUtcNow().AddDays(2),
            ClientState = clientState,
        }))!;
    }

    /// <summary>A stored record that has a clientState but no Graph id yet: what a create leaves behind before Graph answers.</summary>
    public async Task<SubscriptionRecord> StorePendingAsync(string resource, string changeType)
    {
        var pending = new SubscriptionRecord
        {
            Key = DesiredSubscription.KeyFor(ResourcePath.Parse(resource), changeType),
            Resource = resource,
            ChangeType = changeType,
            ClientState = ClientStateGenerator.Create(),
        };
        await Store.UpsertAsync(pending, CancellationToken.None);
        return pending;
    }

    public async Task<SubscriptionRecord> RecordAsync(string resource) =>
        (await Store.ListAsync(CancellationToken.None)).Single(r => r.Resource == resource);

    public IReadOnlyList<FakeLogRecord> LogsWithId(int eventId) =>
        Logs.GetSnapshot().Where(r => r.Id.Id == eventId).ToList();

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await Receiver.DisposeAsync();
        await Emulator.DisposeAsync();
        File.Dispose();
    }

    private ServiceProvider Build()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(_settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IHostEnvironment>(new TestEnvironment(File.Directory));
        // Emulated data: the handlers' personal data is written, as in the service's Emulator mode.
        services.AddFakeLogging().AddPersonalDataRedaction(personalDataAllowed: true);
        services.AddSingleton<TimeProvider>(Time);
        services.AddSingleton(Emulator.Graph);
        services.AddSingleton<IChangeNotificationHandler>(Resyncs);
        if (_changeHandlers)
        {
            services.AddChangeHandlers();
        }
        if (_certificates is not null)
        {
            services.AddSingleton(_certificates);
        }

        _registrations?.Invoke(services);
        services.AddStorage(configuration);
        services.AddSubscriptionManagement(configuration);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }
}

internal static class FakeLogRecordExtensions
{
    /// <summary>A structured property of a log record (<c>{GraphId}</c>, <c>{Reason}</c>, …).</summary>
    public static string? Property(this FakeLogRecord record, string name) =>
        record.StructuredState?.FirstOrDefault(p => p.Key == name).Value;
}

/// <summary>Bounded waits on the real clock, for work that other threads do (hosted loops, the emulator's delivery).</summary>
internal static class RealClock
{
    public static async Task WaitUntilAsync(Func<bool> condition, Action? eachPoll = null, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"the condition was not met within {seconds} s");
            await Task.Delay(20);
            eachPoll?.Invoke();
        }
    }
}
