using System.Globalization;
using Microsoft.Data.Sqlite;

namespace ChangeNotifications.Storage.Sqlite;

/// <summary>
/// The inbox table and its claimed dedup keys. Ids are the rowid (no AUTOINCREMENT: that costs a <c>sqlite_sequence</c>
/// write per insert): they increase while rows exist, which is all the claim order needs; an id may come back only after
/// every newer row was purged. The indexes are partial, one per status a query looks for, so an insert touches only the
/// ready index (a lifecycle event also the ready lifecycle events' one, which the claim takes first), in id order: appends
/// write at the end of the table and of that index, never at a random place.
/// The dedup key has no index on the table (a unique one would cost a random B-tree page per insert, written to the WAL
/// at each commit, on the acknowledgement's path); the claim records it in <c>inbox_keys</c>, with the id of the
/// item that holds it, and recognises a redelivered item there. Intake stores items without their key (null): the claim
/// computes it from the stored payload (<see cref="Notifications.StoredNotification.DedupKey"/>) and keeps it on the row.
/// A request of several change notifications is stored as one row of <c>inbox_batches</c> (<see cref="InboxBatchCodec"/>),
/// which the claim splits into item rows when it needs them: one insert acknowledges the request, not one per item. A
/// batch that cannot be read keeps its row, with the reason in <c>error</c>, counted among the dead.
/// </summary>
/// <remarks>
/// A file made by an earlier version (its <c>dedup_key</c> column <c>UNIQUE</c>, or <c>NOT NULL</c>) has its table rebuilt
/// on open, once: the rows are copied (with their ids; an AUTOINCREMENT goes), and the keys of items already claimed go
/// into <c>inbox_keys</c> (those there already stay).
/// </remarks>
internal sealed class SqliteInboxSchema : ISqliteSchema
{
    private const string Table = """
        CREATE TABLE IF NOT EXISTS inbox (
            id                INTEGER PRIMARY KEY,
            dedup_key         TEXT    NULL,
            kind              INTEGER NOT NULL,
            subscription_id   TEXT    NOT NULL,
            payload           TEXT    NOT NULL,
            validation_tokens TEXT    NULL,
            received_at       INTEGER NOT NULL,
            status            INTEGER NOT NULL DEFAULT 0,
            attempts          INTEGER NOT NULL DEFAULT 0,
            not_before        INTEGER NOT NULL,
            locked_until      INTEGER NULL,
            last_error        TEXT    NULL,
            finished_at       INTEGER NULL
        );
        CREATE TABLE IF NOT EXISTS inbox_keys (
            dedup_key  TEXT    NOT NULL PRIMARY KEY,
            inbox_id   INTEGER NOT NULL,
            claimed_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS inbox_batches (
            id          INTEGER PRIMARY KEY,
            item_count  INTEGER NOT NULL,
            received_at INTEGER NOT NULL,
            items       BLOB    NOT NULL,
            error       TEXT    NULL
        );
        """;

    private const string Columns =
        "id, dedup_key, kind, subscription_id, payload, validation_tokens, received_at, status, attempts, not_before, locked_until, last_error, finished_at";

    public string Name => "inbox";

    /// <summary><see cref="InboxItemKind.Lifecycle"/> as stored, as SQL text: the partial index of ready lifecycle events
    /// and the claim that reads it (<see cref="SqliteInboxWriter.ClaimSql"/>) both name it.</summary>
    internal const string LifecycleKind = "1";

    public string Sql => Table + $$"""
        DROP INDEX IF EXISTS ix_inbox_due;
        DROP INDEX IF EXISTS ix_inbox_finished;
        CREATE INDEX IF NOT EXISTS ix_inbox_ready ON inbox (id, not_before) WHERE status = 0;
        CREATE INDEX IF NOT EXISTS ix_inbox_ready_lifecycle ON inbox (id, not_before) WHERE status = 0 AND kind = {{LifecycleKind}};
        CREATE INDEX IF NOT EXISTS ix_inbox_claimed ON inbox (locked_until) WHERE status = 1;
        CREATE INDEX IF NOT EXISTS ix_inbox_done ON inbox (finished_at) WHERE status = 2;
        CREATE INDEX IF NOT EXISTS ix_inbox_dead ON inbox (id, subscription_id) WHERE status = 3;
        CREATE INDEX IF NOT EXISTS ix_inbox_keys_claimed ON inbox_keys (claimed_at);
        """;

    /// <summary>Rebuilds an inbox whose dedup key is <c>UNIQUE</c> or <c>NOT NULL</c> (SQLite can drop neither
    /// constraint).</summary>
    public async Task UpgradeAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT (SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'inbox' AND name LIKE 'sqlite_autoindex_inbox_%')
                 + (SELECT COUNT(*) FROM pragma_table_info('inbox') WHERE name = 'dedup_key' AND "notnull" = 1);
            """;
        if (Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) == 0)
        {
            return;
        }

        // One transaction: a stop halfway leaves the old table as it was, rebuilt at the next open. Dropping the old
        // table drops its indexes, which Sql then creates on the new one.
        await using var transaction = connection.BeginTransaction(deferred: false);
        command.Transaction = transaction;
        command.CommandText = $"""
            ALTER TABLE inbox RENAME TO inbox_unique_key;
            {Table}
            INSERT INTO inbox ({Columns}) SELECT {Columns} FROM inbox_unique_key;
            INSERT OR IGNORE INTO inbox_keys (dedup_key, inbox_id, claimed_at)
                SELECT dedup_key, id, COALESCE(finished_at, locked_until, received_at) FROM inbox WHERE status <> 0 OR attempts > 0;
            DROP TABLE inbox_unique_key;
            """;
        await command.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}
