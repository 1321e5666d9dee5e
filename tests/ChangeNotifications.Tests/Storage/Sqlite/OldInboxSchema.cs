namespace ChangeNotifications.Tests.Storage.Sqlite;

/// <summary>The inbox table and indexes as the first releases created them: what an existing file may still hold.</summary>
internal sealed class OldInboxSchema
{
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
