using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace ChangeNotifications.Tests.Infrastructure;

/// <summary>
/// A throwaway PostgreSQL server for the test run: <c>initdb</c> into a temp folder and <c>pg_ctl start</c> on a free
/// loopback port (socket in that folder, fsync off), started once on first use and stopped by <c>pg_ctl</c> when the test
/// process exits. As root the server runs as the <c>postgres</c> user (initdb refuses root). Binaries come from
/// <c>CN_TEST_POSTGRES_BIN</c> or the newest <c>/usr/lib/postgresql/&lt;version&gt;/bin</c>.
/// </summary>
public sealed class PostgresServer
{
    private static readonly Lazy<Task<PostgresServer>> Shared = new(StartAsync);

    private readonly string _bin;
    private readonly string _folder;
    private readonly bool _asPostgresUser;

    private PostgresServer(string bin, string folder, bool asPostgresUser, int port)
    {
        _bin = bin;
        _folder = folder;
        _asPostgresUser = asPostgresUser;
        Port = port;
    }

    /// <summary>The folder holding initdb and pg_ctl; null when PostgreSQL is not installed.</summary>
    public static string? BinFolder { get; } = FindBin();

    public int Port { get; }

    /// <summary>The shared server, started on first use.</summary>
    public static Task<PostgresServer> GetAsync() =>
        BinFolder is null
            ? throw new InvalidOperationException("PostgreSQL binaries required under CI (apt-get install postgresql-15, or set CN_TEST_POSTGRES_BIN).")
            : Shared.Value;

    /// <summary>A connection string to <paramref name="database"/> as the superuser.</summary>
    public string ConnectionString(string database = "postgres") =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = "postgres",
            Database = database,
        }.ConnectionString;

    /// <summary>A new, empty database (<c>cn_&lt;guid&gt;</c>); returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"cn_{Guid.NewGuid():N}";
        await using var connection = new NpgsqlConnection(ConnectionString());
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await create.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    private static async Task<PostgresServer> StartAsync()
    {
        var bin = BinFolder!;
        var asPostgresUser = Environment.UserName == "root";
        var folder = Directory.CreateTempSubdirectory("cn-pg-").FullName;
        if (asPostgresUser)
        {
            await RunAsync("chown", ["postgres:postgres", folder]);
        }

        var data = Path.Combine(folder, "data");
        await RunAsync(Command(bin, "initdb", asPostgresUser), Arguments(asPostgresUser, Path.Combine(bin, "initdb"),
            ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]));

        // A port that was free a moment ago can be taken before the server binds it: try a few.
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            try
            {
                await RunAsync(Command(bin, "pg_ctl", asPostgresUser), Arguments(asPostgresUser, Path.Combine(bin, "pg_ctl"),
                [
                    "-D", data, "-l", Path.Combine(folder, "server.log"), "-w", "start",
                    "-o", $"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off -c max_connections=300",
                ]));
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                continue;
            }

            var server = new PostgresServer(bin, folder, asPostgresUser, port);
            AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Stop();
            return server;
        }
    }

    /// <summary>Stops the server and removes its folder, in one shell the test process does not wait for: the test host
    /// may be ended while its exit handlers still run, and the shell finishes the job on its own.</summary>
    private void Stop()
    {
        var pgCtl = Path.Combine(_bin, "pg_ctl");
        var script = $"'{pgCtl}' -D '{Path.Combine(_folder, "data")}' -m fast -w stop >/dev/null 2>&1; rm -rf '{_folder}'";
        var start = new ProcessStartInfo(_asPostgresUser ? "runuser" : "/bin/sh") { UseShellExecute = false };
        foreach (var argument in (string[])(_asPostgresUser ? ["-u", "postgres", "--", "/bin/sh", "-c", script] : ["-c", script]))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start);
        process?.WaitForExit(TimeSpan.FromSeconds(10));
    }

    private static string Command(string bin, string tool, bool asPostgresUser) =>
        asPostgresUser ? "runuser" : Path.Combine(bin, tool);

    private static string[] Arguments(bool asPostgresUser, string tool, string[] arguments) =>
        asPostgresUser ? ["-u", "postgres", "--", tool, .. arguments] : arguments;

    private static async Task RunAsync(string command, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{command} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{command} {string.Join(' ', start.ArgumentList)} exited with {process.ExitCode}: {await output}{await error}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string? FindBin()
    {
        var configured = Environment.GetEnvironmentVariable("CN_TEST_POSTGRES_BIN");
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(Path.Combine(configured, "initdb")) ? configured : null;
        }

        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root))
        {
            return null;
        }

        return Directory.GetDirectories(root)
            .Select(folder => (Version: int.TryParse(Path.GetFileName(folder), out var v) ? v : -1, Bin: Path.Combine(folder, "bin")))
            .Where(candidate => candidate.Version >= 0 && File.Exists(Path.Combine(candidate.Bin, "initdb")))
            .OrderByDescending(candidate => candidate.Version)
            .Select(candidate => candidate.Bin)
            .FirstOrDefault();
    }
}

/// <summary>
/// A fresh database of its own on the shared <see cref="PostgresServer"/>, for one test class
/// (<c>IClassFixture&lt;PostgresDatabase&gt;</c>); <see cref="CreateAsync"/> gives further ones for tests that need a
/// clean one each.
/// </summary>
public sealed class PostgresDatabase : IAsyncLifetime
{
    private string? _connectionString;

    /// <summary>The class's database; set once <see cref="InitializeAsync"/> ran.</summary>
    public string ConnectionString => _connectionString ?? throw new InvalidOperationException("PostgreSQL is not available.");

    /// <summary>Another new, empty database on the same server.</summary>
    public static async Task<string> CreateAsync() => await (await PostgresServer.GetAsync()).CreateDatabaseAsync();

    public async Task InitializeAsync()
    {
        // A class whose tests are all skipped still gets its fixture: without binaries there is nothing to start (under
        // CI the attempt fails, and with it the class's tests).
        if (PostgresAvailability.SkipReason is null)
        {
            _connectionString = await CreateAsync();
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
