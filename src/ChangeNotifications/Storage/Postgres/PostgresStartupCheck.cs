using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ChangeNotifications.Storage.Postgres;

/// <summary>
/// Before anything else starts: the connection string is set, the database answers, and its tables are migrated
/// (<see cref="PostgresSchema"/>). A failure stops start-up with one line naming <c>ConnectionStrings:ChangeNotifications</c>
/// and the server (never the connection string: it may hold a password). Program runs it before the host starts; as a
/// hosted service it guards any other host too. Once it succeeded it does not run again.
/// </summary>
internal sealed partial class PostgresStartupCheck(
    IOptions<PostgresStorageOptions> options,
    Func<NpgsqlDataSource> dataSource,
    ILogger<PostgresStartupCheck> logger) : StorageStartupCheck
{
    private const int UnavailableEvent = 7470;
    private const int MigratedEvent = 7471;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile bool _opened;

    public override async Task<bool> OpensAsync(CancellationToken cancellationToken)
    {
        if (_opened)
        {
            return true;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            return _opened || (_opened = await MigrateAsync(cancellationToken));
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<bool> MigrateAsync(CancellationToken cancellationToken)
    {
        string? connectionString;
        try
        {
            connectionString = options.Value.ConnectionString;
        }
        catch (OptionsValidationException ex)
        {
            LogUnavailable(logger, "(none)", ex.Message);
            return false;
        }

        var server = Describe(connectionString);
        try
        {
            var applied = await PostgresSchema.MigrateAsync(dataSource(), cancellationToken);
            if (applied > 0)
            {
                LogMigrated(logger, server, applied, PostgresSchema.Migrations.Count);
            }

            return true;
        }
        catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException or ArgumentException)
        {
            LogUnavailable(logger, server, ex.Message);
            return false;
        }
    }

    protected override string UnavailableMessage =>
        $"{PostgresStorageOptions.ConnectionStringKey}: the PostgreSQL database cannot be used (see the log line before).";

    /// <summary>Host, port and database of the connection string, without its credentials.</summary>
    internal static string Describe(string? connectionString)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            return $"{builder.Host}:{builder.Port}/{builder.Database}";
        }
        catch (ArgumentException)
        {
            return "(unreadable connection string)";
        }
    }

    [LoggerMessage(EventId = UnavailableEvent, Level = LogLevel.Critical, Message = "ConnectionStrings:ChangeNotifications: the PostgreSQL database {Server} cannot be used, the service stops: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string server, string reason);

    [LoggerMessage(EventId = MigratedEvent, Level = LogLevel.Information, Message = "PostgreSQL database {Server}: applied {Applied} migrations, schema version {Version}")]
    private static partial void LogMigrated(ILogger logger, string server, int applied, int version);
}
