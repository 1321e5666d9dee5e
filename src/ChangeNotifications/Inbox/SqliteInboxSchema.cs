using ChangeNotifications.Storage;

namespace ChangeNotifications.Inbox;

/// <summary>
/// The inbox table. Ids are the rowid (no AUTOINCREMENT: that costs a <c>sqlite_sequence</c> write per insert): they
/// increase while rows exist, which is all the claim order needs; an id may come back only after every newer row was
/// purged. The indexes are partial, one per status a query looks for, so an insert touches only the ready index (and
/// the dedup key's); the ready one is in id order, so a claim reads the oldest due rows and stops at its limit; a file made with the earlier full indexes (<c>ix_inbox_due</c>, <c>ix_inbox_finished</c>) has them
/// replaced on open. Such a file keeps its AUTOINCREMENT table, which works the same.
/// </summary>
internal sealed class SqliteInboxSchema : ISqliteSchema
{
    public string Name => "inbox";

    public string Sql => """
        CREATE TABLE IF NOT EXISTS inbox (
            id                INTEGER PRIMARY KEY,
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
        DROP INDEX IF EXISTS ix_inbox_due;
        DROP INDEX IF EXISTS ix_inbox_finished;
        CREATE INDEX IF NOT EXISTS ix_inbox_ready ON inbox (id, not_before) WHERE status = 0;
        CREATE INDEX IF NOT EXISTS ix_inbox_claimed ON inbox (locked_until) WHERE status = 1;
        CREATE INDEX IF NOT EXISTS ix_inbox_done ON inbox (finished_at) WHERE status = 2;
        CREATE INDEX IF NOT EXISTS ix_inbox_dead ON inbox (id, subscription_id) WHERE status = 3;
        """;
}
