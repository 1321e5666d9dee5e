using System.Diagnostics;
using System.Globalization;
using ChangeNotifications.Inbox;
using ChangeNotifications.Storage;
using ChangeNotifications.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Benchmarks.Driver.InboxMicro;

/// <summary>
/// Per-row cost of inbox appends, old against new, in one run: <c>callers</c> concurrent callers append <c>rows</c>
/// entries (batches of 1, then of 100) to a fresh SQLite file (Storage:Durability Full, as shipped) and the driver prints
/// rows/s and the process's CPU per row (user + system time ÷ rows). Variants: the old append path (<see cref="LegacyInbox"/>),
/// the service's <see cref="SqliteInbox"/> on a file made with the old schema (it keeps AUTOINCREMENT, gets the new
/// indexes), and <see cref="SqliteInbox"/> on a new file.
/// </summary>
internal static class InboxMicroCommand
{
    private const int WarmUpRows = 2_000;
    private static readonly Guid Subscription = Guid.Parse("0d2f8a51-7c3e-4b9a-a1d4-5e6f7a8b9c0d");

    public static async Task<int> RunAsync(CommandLine args)
    {
        var rows = args.Int("rows", 20_000);
        var callers = args.Int("callers", 64);
        var repeat = args.Int("repeat", 1);
        var root = Path.Combine(Path.GetTempPath(), "cn-inbox-micro-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        try
        {
            Console.WriteLine($"inbox appends: {rows} rows per run from {callers} concurrent callers, Durability Full, {Environment.ProcessorCount} cores");
            Console.WriteLine($"| {"variant",-44} | {"batch",5} | {"rows/s",9} | {"µs CPU/row",10} |");
            Console.WriteLine($"|{new string('-', 46)}|-------|-----------|------------|");
            var run = 0;
            var results = new List<(string Variant, int Batch, double RowsPerSecond, double CpuPerRow)>();
            for (var r = 0; r < repeat; r++)
            {
                foreach (var batch in new[] { 1, 100 })
                {
                    foreach (var variant in Variants)
                    {
                        var file = Path.Combine(root, $"run{run++}", "inbox.db");
                        var (rowsPerSecond, cpuPerRow) = await MeasureAsync(variant, file, rows, callers, batch);
                        results.Add((variant.Name, batch, rowsPerSecond, cpuPerRow));
                        Print(variant.Name, batch, rowsPerSecond, cpuPerRow);
                    }
                }
            }

            if (repeat > 1)
            {
                Console.WriteLine($"median of {repeat} runs:");
                foreach (var group in results.GroupBy(x => (x.Batch, x.Variant)))
                {
                    Print(group.Key.Variant, group.Key.Batch, Median(group.Select(x => x.RowsPerSecond)), Median(group.Select(x => x.CpuPerRow)));
                }
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(root, recursive: true);
        }

        return 0;
    }

    private static void Print(string variant, int batch, double rowsPerSecond, double cpuPerRow) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {variant,-44} | {batch,5} | {rowsPerSecond,9:0} | {cpuPerRow,10:0.0} |"));

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static readonly Variant[] Variants =
    [
        new("old: open+prepare per round, old schema", async file =>
        {
            var legacy = new LegacyInbox(Database(file, new OldInboxSchema()));
            return new Appender(async entries => await legacy.AppendAsync(entries), legacy);
        }),
        new("new code, file made with the old schema", async file =>
        {
            await using (var connection = await Database(file, new OldInboxSchema()).OpenAsync(CancellationToken.None))
            {
            }

            return NewInbox(file);
        }),
        new("new: kept connection, partial indexes", file => Task.FromResult(NewInbox(file))),
    ];

    private static async Task<(double RowsPerSecond, double CpuMicrosecondsPerRow)> MeasureAsync(Variant variant, string file, int rows, int callers, int batch)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var appender = await variant.CreateAsync(file);
        await using (appender.Owner)
        {
            await AppendAsync(appender, "warm", WarmUpRows, callers, batch);
            var process = Process.GetCurrentProcess();
            var cpuBefore = process.TotalProcessorTime;
            var started = Stopwatch.GetTimestamp();
            await AppendAsync(appender, "run", rows, callers, batch);
            var elapsed = Stopwatch.GetElapsedTime(started);
            process.Refresh();
            var cpu = process.TotalProcessorTime - cpuBefore;
            return (rows / elapsed.TotalSeconds, cpu.TotalMicroseconds / rows);
        }
    }

    /// <summary>Callers take batches of <paramref name="batch"/> rows until <paramref name="rows"/> are appended.</summary>
    private static async Task AppendAsync(Appender appender, string prefix, int rows, int callers, int batch)
    {
        var next = 0;
        var workers = Enumerable.Range(0, callers).Select(_ => Task.Run(async () =>
        {
            int first;
            while ((first = Interlocked.Add(ref next, batch) - batch) < rows)
            {
                var count = Math.Min(batch, rows - first);
                var entries = new InboxEntry[count];
                for (var i = 0; i < count; i++)
                {
                    entries[i] = Entry($"{prefix}-{first + i}");
                }

                await appender.Append(entries);
            }
        }));
        await Task.WhenAll(workers);
    }

    /// <summary>A notification of the benchmark's shape (a user changed; ~450 bytes of JSON).</summary>
    private static InboxEntry Entry(string id) => new(
        $"{Subscription:N}:{id}",
        InboxItemKind.Change,
        Subscription,
        $$$"""{"id":"{{{id}}}","subscriptionId":"{{{Subscription}}}","subscriptionExpirationDateTime":"2026-11-29T08:00:00+00:00","clientState":"c2VjcmV0LWNsaWVudC1zdGF0ZS0wMTIzNDU2Nzg5","changeType":"updated","resource":"Users/5b0c9a6d-1e2f-4a3b-8c4d-9e0f1a2b3c4d","tenantId":"7e1a2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b","resourceData":{"@odata.type":"#Microsoft.Graph.User","@odata.id":"Users/5b0c9a6d-1e2f-4a3b-8c4d-9e0f1a2b3c4d","id":"5b0c9a6d-1e2f-4a3b-8c4d-9e0f1a2b3c4d","organizationId":"7e1a2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b"}}""",
        null);

    private static SqliteDatabase Database(string file, ISqliteSchema schema) =>
        new(Options.Create(new StorageOptions { SqlitePath = file }), new FixedEnvironment(Path.GetDirectoryName(file)!), [schema]);

    /// <summary>The service's inbox as the service registers it (<see cref="StorageServiceCollectionExtensions.AddStorage"/>).</summary>
    private static Appender NewInbox(string file)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("Storage:SqlitePath", file)]).Build();
        var provider = new ServiceCollection()
            .AddLogging()
            .AddSingleton(TimeProvider.System)
            .AddSingleton<IHostEnvironment>(new FixedEnvironment(Path.GetDirectoryName(file)!))
            .AddStorage(configuration)
            .AddInbox()
            .BuildServiceProvider();
        var inbox = provider.GetRequiredService<IInbox>();
        return new Appender(entries => inbox.AppendAsync(entries, CancellationToken.None), provider);
    }

    private sealed record Variant(string Name, Func<string, Task<Appender>> CreateAsync);

    private sealed record Appender(Func<IReadOnlyList<InboxEntry>, Task> Append, IAsyncDisposable Owner);
}
