using ChangeNotifications.Storage;
using ChangeNotifications.Storage.Sqlite;

namespace ChangeNotifications.Benchmarks.Driver.InboxMicro;

/// <summary>
/// The inbox table and indexes as releases up to commit b189ddf created them: what an existing
/// file holds. The old row of <see cref="InboxMicroCommand"/> writes into it, and the tests open such a file with the new code.
/// </summary>
internal sealed class OldInboxSchema : ISqliteSchema
{
    public string Name => "inbox (old)";

    public string Sql => """
        CREATE TABLE IF NOT EXISTS inbox (
            id                INTEGER PRIMARY KEY AUTOINCREMENT,
            dedup_key         TEXT    NOT NULL UNIQUE,
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
        CREATE INDEX IF NOT EXISTS ix_inbox_due ON inbox (status, not_before);
        CREATE INDEX IF NOT EXISTS ix_inbox_finished ON inbox (status, finished_at);
        """;
}
