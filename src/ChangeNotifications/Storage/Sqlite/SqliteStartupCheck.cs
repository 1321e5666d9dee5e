using Microsoft.Data.Sqlite;

namespace ChangeNotifications.Storage.Sqlite;

/// <summary>
/// Opens the SQLite file (folder, WAL, schema) before anything else starts, so a file that cannot be opened stops
/// start-up with one line naming the path and <c>Storage:SqlitePath</c>, instead of failing each request and loop later.
/// Program runs it before the host starts (a failure then exits with code 1 and no stack trace); as a hosted service it
/// guards any other host too.
/// </summary>
internal sealed partial class SqliteStartupCheck(SqliteDatabase database, ILogger<SqliteStartupCheck> logger) : StorageStartupCheck
{
    private const int UnavailableEvent = 7351;

    /// <summary>Whether the file opens; when it does not, one Critical line says why.</summary>
    public override async Task<bool> OpensAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await database.OpenAsync(cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
        {
            LogUnavailable(logger, database.FilePath, Reason(ex));
            return false;
        }
    }

    protected override string UnavailableMessage =>
        $"{StorageOptions.Section}:SqlitePath: the SQLite file '{database.FilePath}' cannot be opened (see the log line before).";

    /// <summary>SQLite's own words, and what an operator usually has to change.</summary>
    private static string Reason(Exception ex) => ex switch
    {
        SqliteException { SqliteErrorCode: 14 } e => // SQLITE_CANTOPEN
            $"{e.Message} (the path must not be a directory, and its folder must exist or be creatable and be writable by the service's user)",
        SqliteException { SqliteErrorCode: 8 } e => // SQLITE_READONLY
            $"{e.Message} (the file, its folder or the volume is read-only for the service's user)",
        SqliteException { SqliteErrorCode: 26 } e => // SQLITE_NOTADB
            $"{e.Message} (the file is not an SQLite database)",
        UnauthorizedAccessException or IOException => $"{ex.Message} (the folder cannot be created)",
        _ => ex.Message,
    };

    [LoggerMessage(EventId = UnavailableEvent, Level = LogLevel.Critical, Message = "Storage:SqlitePath: the SQLite file {SqlitePath} cannot be opened, the service stops: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string sqlitePath, string reason);
}
