using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Storage.Sqlite;

/// <summary>A table (or index) set a feature needs in the SQLite file; created once, idempotently, on first open.</summary>
internal interface ISqliteSchema
{
    string Name { get; }

    /// <summary>Idempotent DDL (<c>CREATE TABLE IF NOT EXISTS …</c>).</summary>
    string Sql { get; }

    /// <summary>Brings a file made by an earlier version up to date, before <see cref="Sql"/> runs (nothing by default).</summary>
    Task UpgradeAsync(SqliteConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>
/// Opens connections to the service's SQLite file (WAL, busy timeout, the configured durability) and
/// creates every registered <see cref="ISqliteSchema"/> on first use.
/// </summary>
internal sealed class SqliteDatabase
{
    private readonly IEnumerable<ISqliteSchema> _schemas;
    private readonly StorageOptions _options;
    private readonly SemaphoreSlim _initLock = new(1, 1);
    private volatile bool _initialized;

    public SqliteDatabase(IOptions<StorageOptions> options, IHostEnvironment environment, IEnumerable<ISqliteSchema> schemas)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        _options = options.Value;
        _schemas = schemas;
        FilePath = Path.GetFullPath(Path.Combine(environment.ContentRootPath, _options.SqlitePath));
        ConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = (int)Math.Ceiling(_options.BusyTimeout.TotalSeconds),
        }.ToString();
    }

    public string FilePath { get; }

    /// <summary>The folder of <see cref="FilePath"/>: the service's data folder.</summary>
    public string Folder => Path.GetDirectoryName(FilePath) ?? Directory.GetCurrentDirectory();

    public string ConnectionString { get; }

    /// <summary>An open connection with the service's pragmas set; the schema exists.</summary>
    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (!_initialized)
        {
            await InitializeAsync(cancellationToken);
        }

        return await OpenRawAsync(cancellationToken);
    }

    private async Task<SqliteConnection> OpenRawAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        var synchronous = _options.Durability == StorageDurability.Full ? "FULL" : "NORMAL";
        var busyMs = ((long)_options.BusyTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = $"PRAGMA busy_timeout={busyMs}; PRAGMA synchronous={synchronous}; PRAGMA foreign_keys=ON;";
        await pragma.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await _initLock.WaitAsync(cancellationToken);
        try
        {
            if (_initialized)
            {
                return;
            }

            var directory = Path.GetDirectoryName(FilePath);
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }

            await using var connection = await OpenRawAsync(cancellationToken);
            await using (var wal = connection.CreateCommand())
            {
                wal.CommandText = "PRAGMA journal_mode=WAL;";
                await wal.ExecuteNonQueryAsync(cancellationToken);
            }

            foreach (var schema in _schemas)
            {
                await schema.UpgradeAsync(connection, cancellationToken);
                await using var command = connection.CreateCommand();
                command.CommandText = schema.Sql;
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            _initialized = true;
        }
        finally
        {
            _initLock.Release();
        }
    }
}

/// <summary>Unix milliseconds: how the SQLite tables keep instants (sortable, compact).</summary>
internal static class UnixTime
{
    public static long ToMs(DateTimeOffset value) => value.ToUnixTimeMilliseconds();

    public static DateTimeOffset FromMs(long value) => DateTimeOffset.FromUnixTimeMilliseconds(value);

    public static DateTimeOffset? FromMs(object? value) =>
        value is null or DBNull ? null : DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(value, CultureInfo.InvariantCulture));
}
