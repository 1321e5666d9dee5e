using ChangeNotifications.Dispatching;
using ChangeNotifications.Storage;
using ChangeNotifications.Storage.Postgres;
using ChangeNotifications.Subscriptions;
using ChangeNotifications.Tests.Emulator;
using ChangeNotifications.Tests.Infrastructure;
using ChangeNotifications.Tests.Subscriptions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Graph.Models;
using Npgsql;

namespace ChangeNotifications.Tests.Storage.Postgres;

/// <summary>
/// Several instances of the subscription manager as the service wires it, each with its own PostgreSQL leader lease on
/// one database, sharing one subscription store (a real SQLite file, standing in for the shared database's tables), one
/// Graph emulator (the real GraphServiceClient over HTTPS), one loopback receiver and one clock: what several service
/// processes behind a balancer share, in one test process. <see cref="TerminateLeaderSessionAsync"/> and
/// <see cref="RestartAsync"/> take a leader away the two ways a real one goes.
/// </summary>
internal sealed class LeaderGroup : IAsyncDisposable
{
    private readonly Dictionary<string, string?> _settings;
    private readonly ServiceProvider?[] _instances;
    private readonly TempDirectory _folder = new("cn-leaders-");
    private readonly List<(int Instance, FakeLogRecord Record)> _retired = [];

    private readonly ServiceProvider _store;

    private LeaderGroup(int count, EmulatorFixture emulator, LoopbackReceiver receiver, TimeProvider time, string connectionString, Dictionary<string, string?> settings)
    {
        var storeSettings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:SqlitePath"] = _folder.File("subscriptions.db"),
            ["Storage:Durability"] = "Normal",
        }).Build();
        _store = new ServiceCollection()
            .AddSingleton<IHostEnvironment>(new TestEnvironment(_folder.Path))
            .AddLogging()
            .AddSingleton(time)
            .AddStorage(storeSettings)
            .BuildServiceProvider();

        Emulator = emulator;
        Receiver = receiver;
        Time = time;
        ConnectionString = connectionString;
        _settings = settings;
        _instances = new ServiceProvider?[count];
        for (var i = 0; i < count; i++)
        {
            _instances[i] = Build(i);
        }
    }

    public EmulatorFixture Emulator { get; }

    public LoopbackReceiver Receiver { get; }

    public TimeProvider Time { get; }

    public string ConnectionString { get; }

    public int Count => _instances.Length;

    /// <param name="time">The clock of every instance and of the emulator (a FakeTimeProvider, or the system's).</param>
    public static async Task<LeaderGroup> StartAsync(int count, TimeProvider time, IEnumerable<(string Resource, string ChangeType)> items, Action<Dictionary<string, string?>>? configure = null)
    {
        var emulator = await EmulatorFixture.StartAsync(o =>
        {
            o.TimeProvider = time;
            o.AccessTokenLifetime = TimeSpan.FromDays(90); // the credential caches its token on the real clock
        });
        var receiver = await LoopbackReceiver.StartAsync();
        var connectionString = await PostgresDatabase.CreateAsync();
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:ChangeNotifications"] = connectionString,
            ["Subscriptions:NotificationUrl"] = receiver.Url.ToString(),
            ["Subscriptions:LifecycleNotificationUrl"] = receiver.UrlFor("/api/lifecycle").ToString(),
        };
        SubscriptionHarness.AddItems(settings, items);

        configure?.Invoke(settings);
        return new LeaderGroup(count, emulator, receiver, time, connectionString, settings);
    }

    public IServiceProvider Services(int instance) => _instances[instance] ?? throw new InvalidOperationException($"instance {instance} is stopped");

    public SubscriptionReconciler Reconciler(int instance) => Services(instance).GetRequiredService<SubscriptionReconciler>();

    public ILeaderLease Lease(int instance) => Services(instance).GetRequiredService<ILeaderLease>();

    public ISubscriptionStore Store(int instance) => Services(instance).GetRequiredService<ISubscriptionStore>();

    public FakeLogCollector Logs(int instance) => Services(instance).GetFakeLogCollector();

    /// <summary>An instance's log records with that event id, those of its earlier runs (before a restart) included.</summary>
    public IReadOnlyList<FakeLogRecord> LogsWithId(int instance, int eventId) =>
        _retired.Where(r => r.Instance == instance).Select(r => r.Record)
            .Concat(_instances[instance] is { } running ? running.GetFakeLogCollector().GetSnapshot() : [])
            .Where(r => r.Id.Id == eventId)
            .ToList();

    /// <summary>Runs one pass on every running instance, starting with <paramref name="first"/>.</summary>
    public async Task TickAllAsync(int first = 0)
    {
        for (var i = 0; i < Count; i++)
        {
            var instance = (first + i) % Count;
            if (_instances[instance] is not null)
            {
                await Reconciler(instance).ReconcileOnceAsync(CancellationToken.None);
            }
        }
    }

    /// <summary>The instances that believe they lead (without trying to take the lease: only a held one counts).</summary>
    public IReadOnlyList<int> Leaders() =>
        Enumerable.Range(0, Count)
            .Where(i => _instances[i] is not null && Lease(i) is PostgresLeaderLease { IsHeld: true })
            .ToList();

    /// <summary>Terminates the PostgreSQL session holding the leader lock, as a crash or a network cut would end it.</summary>
    public async Task<int> TerminateLeaderSessionAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var terminate = new NpgsqlCommand(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            connection);
        return Convert.ToInt32(await terminate.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Stops an instance as a host shutdown does (its lease is released), then starts a new one in its place.</summary>
    public async Task RestartAsync(int instance)
    {
        if (_instances[instance] is { } running)
        {
            _retired.AddRange(running.GetFakeLogCollector().GetSnapshot().Select(r => (instance, r)));
            await running.DisposeAsync();
        }

        _instances[instance] = Build(instance);
    }

    /// <summary>Hands a lifecycle event to an instance's handler as its dispatcher would.</summary>
    public Task LifecycleAsync(int instance, Guid graphId, LifecycleEventType lifecycleEvent)
    {
        var handler = Services(instance).GetRequiredService<ILifecycleEventHandler>();
        var notification = new ChangeNotification { SubscriptionId = graphId, LifecycleEvent = lifecycleEvent };
        return handler.HandleAsync(new LifecycleEventContext(notification, lifecycleEvent, null, InboxId: 1, Attempt: 1), CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var instance in _instances)
        {
            if (instance is not null)
            {
                await instance.DisposeAsync();
            }
        }

        await _store.DisposeAsync();
        await Receiver.DisposeAsync();
        await Emulator.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }

    private ServiceProvider Build(int instance)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(_settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IHostEnvironment>(new TestEnvironment(Directory.CreateDirectory(_folder.File($"instance-{instance}")).FullName));
        services.AddFakeLogging();
        services.AddSingleton(Time);
        services.AddSingleton(Emulator.Graph);
        services.AddSingleton(_store.GetRequiredService<ISubscriptionStore>());
        services.AddPostgresLeaderLease(configuration);
        services.AddSubscriptionManagement(configuration);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }
}
