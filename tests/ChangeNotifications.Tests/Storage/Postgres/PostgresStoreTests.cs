using System.Collections.Concurrent;
using ChangeNotifications.Handlers;
using ChangeNotifications.Inbox;
using ChangeNotifications.Storage.Postgres;
using ChangeNotifications.Subscriptions;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace ChangeNotifications.Tests.Storage.Postgres;

/// <summary>The subscription store contract on PostgreSQL.</summary>
public sealed class PostgresSubscriptionStoreContractTests(PostgresDatabase database)
    : SubscriptionStoreContractTests, IClassFixture<PostgresDatabase>, IPostgresTests
{
    private NpgsqlDataSource? _dataSource;

    public override async Task InitializeAsync() => _dataSource = await PostgresTables.OpenEmptyAsync(database.ConnectionString);

    private protected override ISubscriptionStore OpenStore() => new PostgresSubscriptionStore(_dataSource!, TimeProvider.System);

    public override async Task DisposeAsync() => await (_dataSource?.DisposeAsync() ?? ValueTask.CompletedTask);
}

/// <summary>The delta-link store contract on PostgreSQL.</summary>
public sealed class PostgresDeltaLinkStoreContractTests(PostgresDatabase database)
    : DeltaLinkStoreContractTests, IClassFixture<PostgresDatabase>, IPostgresTests
{
    private NpgsqlDataSource? _dataSource;

    public override async Task InitializeAsync() => _dataSource = await PostgresTables.OpenEmptyAsync(database.ConnectionString);

    private protected override IDeltaLinkStore OpenStore() => new PostgresDeltaLinkStore(_dataSource!, TimeProvider.System);

    public override async Task DisposeAsync() => await (_dataSource?.DisposeAsync() ?? ValueTask.CompletedTask);
}

/// <summary>
/// What PostgreSQL adds for several instances on one database: claims that never overlap, leases that hand an item over
/// only once they ran out, appends grouped into rounds, and notes between instances (inbox rounds wake other instances'
/// dispatchers, subscription writes reach their lookups), over a listener that reconnects.
/// </summary>
public sealed class PostgresStoreTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private static readonly Guid Subscription = Guid.Parse("6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f");
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero));
    private readonly ServiceProvider _metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly List<IAsyncDisposable> _owned = [];
    private NpgsqlDataSource? _dataSource;

    private NpgsqlDataSource DataSource => _dataSource!;

    public async Task InitializeAsync() => _dataSource = await PostgresTables.OpenEmptyAsync(database.ConnectionString);

    public async Task DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }

        await _metrics.DisposeAsync();
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }
    }

    [PostgresFact]
    public async Task Two_instances_claim_disjoint_items_and_skip_the_rows_another_claim_holds()
    {
        var a = Instance();
        var b = Instance();
        await a.AppendAsync(Enumerable.Range(0, 40).Select(i => Entry($"k{i:00}")).ToList(), default);

        // Another instance's claim under way: its rows are locked until it commits. This claim takes the next ones at
        // once rather than wait for them.
        await using (var other = await DataSource.OpenConnectionAsync())
        await using (var claimUnderWay = await other.BeginTransactionAsync())
        {
            await using var lockRows = new NpgsqlCommand("SELECT id FROM inbox ORDER BY id LIMIT 3 FOR UPDATE", other, claimUnderWay);
            await lockRows.ExecuteNonQueryAsync();

            var next = await b.ClaimAsync(5, TimeSpan.FromMinutes(1), default).WaitAsync(Patience);

            Assert.Equal(["k03", "k04", "k05", "k06", "k07"], next.Select(i => i.DedupKey));
        }

        var claims = await Task.WhenAll(ClaimAllAsync(a), ClaimAllAsync(b));

        var all = claims.SelectMany(c => c).ToList();
        Assert.Equal(35, all.Count);
        Assert.Equal(35, all.Distinct().Count());

        async Task<List<long>> ClaimAllAsync(IInbox inbox)
        {
            var ids = new List<long>();
            while ((await inbox.ClaimAsync(3, TimeSpan.FromMinutes(1), default)) is { Count: > 0 } claimed)
            {
                ids.AddRange(claimed.Select(i => i.Id));
            }

            return ids;
        }
    }

    [PostgresFact]
    public async Task A_claim_of_an_instance_that_stopped_is_taken_over_after_its_lease_and_not_before()
    {
        var stopped = Instance();
        var survivor = Instance();
        await stopped.AppendAsync([Entry("a")], default);
        var held = Assert.Single(await stopped.ClaimAsync(10, TimeSpan.FromMinutes(1), default));

        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.Empty(await survivor.ClaimAsync(10, TimeSpan.FromMinutes(1), default));

        _time.Advance(TimeSpan.FromSeconds(1));
        var taken = Assert.Single(await survivor.ClaimAsync(10, TimeSpan.FromMinutes(1), default));
        Assert.Equal((held.Id, 2), (taken.Id, taken.Attempts));
    }

    [PostgresFact]
    public async Task Appends_queued_while_a_round_is_written_share_the_next_round()
    {
        using var firstRoundHeld = new ManualResetEventSlim();
        var rounds = new ConcurrentQueue<int>();
        var firstTaken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var inbox = Instance(roundTaken: requests =>
        {
            rounds.Enqueue(requests);
            if (firstTaken.TrySetResult())
            {
                firstRoundHeld.Wait(Patience);
            }
        });

        var first = inbox.AppendAsync([Entry("first")], default);
        await firstTaken.Task.WaitAsync(Patience);
        var queued = Enumerable.Range(0, 5).Select(i => inbox.AppendAsync([Entry($"q{i}"), Entry($"q{i}-lifecycle", InboxItemKind.Lifecycle)], default)).ToList();
        firstRoundHeld.Set();
        await Task.WhenAll([first, .. queued]).WaitAsync(Patience);

        Assert.Equal([1, 5], rounds);
        Assert.Equal(new InboxCounts(Ready: 11, Claimed: 0, Done: 0, Dead: 0), await inbox.CountAsync(default));
    }

    [PostgresFact]
    public async Task A_round_of_another_instance_wakes_this_dispatcher_and_the_listener_comes_back_after_a_lost_connection()
    {
        var writer = Instance();
        var signal = new InboxSignal();
        var subscriptions = new PostgresSubscriptionStore(DataSource, _time);
        var reads = new SemaphoreSlim(0);
        subscriptions.Reloaded = () => reads.Release();
        await subscriptions.ListAsync(default);
        await reads.WaitAsync(Patience);
        await using var listener = await StartListenerAsync(signal, subscriptions);
        Assert.True(await reads.WaitAsync(Patience), "no read of the subscriptions when the listener connected");

        await AssertWokenAsync(writer, signal, "a");

        await using (var terminate = DataSource.CreateCommand(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'"))
        {
            await terminate.ExecuteNonQueryAsync();
        }

        Assert.True(await reads.WaitAsync(Patience), "the listener did not connect again");
        await AssertWokenAsync(writer, signal, "b");
    }

    [PostgresFact]
    public async Task A_subscription_written_by_another_instance_reaches_this_lookup_through_its_note()
    {
        var writer = new PostgresSubscriptionStore(DataSource, _time);
        var reader = new PostgresSubscriptionStore(DataSource, _time);
        var reads = new SemaphoreSlim(0);
        reader.Reloaded = () => reads.Release();
        var record = Record("users|updated");
        await writer.UpsertAsync(record, default);
        Assert.Equal(record, await reader.FindByGraphIdAsync(record.GraphId!.Value, default));
        await using var listener = await StartListenerAsync(new InboxSignal(), reader);
        Assert.True(await reads.WaitAsync(Patience));
        Assert.True(await reads.WaitAsync(Patience));

        var recreated = record with { ClientState = ClientStateGenerator.Create() };
        await writer.UpsertAsync(recreated, default);
        Assert.True(await reads.WaitAsync(Patience), "no read after the other instance's write");

        Assert.Equal(recreated.ClientState, (await reader.FindByGraphIdAsync(record.GraphId!.Value, default))!.ClientState);
        await writer.DeleteAsync(record.Key, default);
        Assert.True(await reads.WaitAsync(Patience), "no read after the other instance's delete");
        Assert.Null(await reader.FindByKeyAsync(record.Key, default));
    }

    [PostgresFact]
    public async Task A_lookup_that_misses_reads_the_table_again_at_most_once_a_second()
    {
        var creator = new PostgresSubscriptionStore(DataSource, _time);
        var receiver = new PostgresSubscriptionStore(DataSource, _time);
        Assert.Empty(await receiver.ListAsync(default));
        var first = Record("users|updated");
        await creator.UpsertAsync(first, default);

        Assert.Equal(first, await receiver.FindByGraphIdAsync(first.GraphId!.Value, default));

        var second = Record("groups|updated");
        await creator.UpsertAsync(second, default);
        Assert.Null(await receiver.FindByGraphIdAsync(Guid.NewGuid(), default)); // within the second of the last read: none
        _time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Null(await receiver.FindByGraphIdAsync(second.GraphId!.Value, default));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(second, await receiver.FindByGraphIdAsync(second.GraphId!.Value, default));
    }

    private PostgresInbox Instance(Action<int>? roundTaken = null)
    {
        // An instance of its own: its own pool, as another process has.
        var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        var inbox = new PostgresInbox(
            dataSource, _time, NullLogger<PostgresInbox>.Instance, new InboxMetrics(_metrics.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()))
        {
            RoundTaken = roundTaken,
        };
        _owned.Add(dataSource);
        _owned.Add(inbox);
        return inbox;
    }

    private async Task<AsyncDisposer> StartListenerAsync(InboxSignal signal, PostgresSubscriptionStore subscriptions)
    {
        var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        var listener = new PostgresListener(dataSource, signal, subscriptions, TimeProvider.System, NullLogger<PostgresListener>.Instance);
        await listener.StartAsync(default);
        return new AsyncDisposer(async () =>
        {
            await listener.StopAsync(default);
            listener.Dispose();
            await dataSource.DisposeAsync();
        });
    }

    /// <summary>An append by <paramref name="writer"/> completes a dispatcher's wait that only a wake can end (its
    /// timeout is on a clock that does not move).</summary>
    private async Task AssertWokenAsync(IInbox writer, InboxSignal signal, string key)
    {
        var woken = signal.WaitAsync(TimeSpan.FromHours(1), _time, default);
        Assert.False(woken.IsCompleted);
        await writer.AppendAsync([Entry(key)], default);
        await woken.WaitAsync(Patience);
    }

    private static InboxEntry Entry(string key, InboxItemKind kind = InboxItemKind.Change) => new(key, kind, Subscription, $$"""{"id":"{{key}}"}""", null);

    private static SubscriptionRecord Record(string key) => new()
    {
        Key = key,
        Resource = "/" + key.Split('|')[0],
        ChangeType = "updated",
        ClientState = ClientStateGenerator.Create(),
        GraphId = Guid.NewGuid(),
    };

    private sealed class AsyncDisposer(Func<Task> dispose) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await dispose();
    }
}
