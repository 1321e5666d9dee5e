using Npgsql;

namespace ChangeNotifications.Storage.Postgres;

/// <summary>
/// The store's tables, as numbered migrations. <see cref="MigrateAsync"/> applies those a database lacks, in one
/// transaction that first takes a transaction-scoped advisory lock: instances starting together wait for each other, and
/// the first applies what is missing while the others then find nothing to do. <c>schema_version</c> lists what was
/// applied. A migration, once released, is never edited: a change is a new one at the end.
/// </summary>
internal static class PostgresSchema
{
    /// <summary>The advisory lock key of migrations (the text "cnschema" as a number), distinct from other locks.</summary>
    internal const long MigrationLockKey = 0x636E_7363_6865_6D61;

    /// <summary>The inbox's payload is the UTF-8 bytes as received (bytea, compressed by TOAST when large); lifecycle
    /// events and changes share the table, told apart by <c>kind</c>. The indexes are partial, one per status a query
    /// looks for. <c>inbox_keys</c> holds each claimed dedup key with the item that holds it.</summary>
    private const string V1 = """
        CREATE TABLE inbox (
            id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            dedup_key         text        NULL,
            kind              smallint    NOT NULL,
            subscription_id   uuid        NOT NULL,
            payload           bytea       NOT NULL,
            validation_tokens text        NULL,
            received_at       timestamptz NOT NULL,
            status            smallint    NOT NULL DEFAULT 0,
            attempts          integer     NOT NULL DEFAULT 0,
            not_before        timestamptz NOT NULL,
            locked_until      timestamptz NULL,
            last_error        text        NULL,
            finished_at       timestamptz NULL
        );
        CREATE INDEX ix_inbox_ready ON inbox (id) WHERE status = 0;
        CREATE INDEX ix_inbox_ready_lifecycle ON inbox (id) WHERE status = 0 AND kind = 1;
        CREATE INDEX ix_inbox_claimed ON inbox (locked_until) WHERE status = 1;
        CREATE INDEX ix_inbox_done ON inbox (finished_at) WHERE status = 2;
        CREATE INDEX ix_inbox_dead ON inbox (id) WHERE status = 3;

        CREATE TABLE inbox_keys (
            dedup_key  text        NOT NULL PRIMARY KEY,
            inbox_id   bigint      NOT NULL,
            claimed_at timestamptz NOT NULL
        );
        CREATE INDEX ix_inbox_keys_claimed ON inbox_keys (claimed_at);

        CREATE TABLE subscriptions (
            key                   text        NOT NULL PRIMARY KEY,
            graph_id              uuid        NULL,
            resource              text        NOT NULL,
            change_type           text        NOT NULL,
            client_state          text        NOT NULL,
            include_resource_data boolean     NOT NULL DEFAULT false,
            encryption_cert_id    text        NULL,
            expires_at            timestamptz NULL,
            created_at            timestamptz NULL,
            renewed_at            timestamptz NULL,
            reauthorized_at       timestamptz NULL,
            last_notification_at  timestamptz NULL,
            failure_reason        text        NULL,
            failure_count         integer     NOT NULL DEFAULT 0,
            pending_resync        text        NULL,
            reauthorize_pending   boolean     NOT NULL DEFAULT false,
            recreate_reason       text        NULL,
            recreating_graph_id   uuid        NULL,
            next_attempt_at       timestamptz NULL,
            renew_requested       boolean     NOT NULL DEFAULT false
        );
        CREATE UNIQUE INDEX ix_subscriptions_graph_id ON subscriptions (graph_id) WHERE graph_id IS NOT NULL;

        CREATE TABLE delta_links (
            key        text        NOT NULL PRIMARY KEY,
            link       text        NOT NULL,
            updated_at timestamptz NOT NULL
        );
        """;

    /// <summary>Migration <c>i + 1</c> is <c>Migrations[i]</c>.</summary>
    internal static IReadOnlyList<string> Migrations { get; } = [V1];

    /// <summary>Applies the migrations the database lacks; returns how many it applied (0 when it was up to date).</summary>
    public static async Task<int> MigrateAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand("""
            SELECT pg_advisory_xact_lock(@key);
            CREATE TABLE IF NOT EXISTS schema_version (
                version    integer     NOT NULL PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT now()
            );
            """, connection, transaction))
        {
            command.Parameters.AddWithValue("key", MigrationLockKey);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        int current;
        await using (var version = new NpgsqlCommand("SELECT COALESCE(MAX(version), 0) FROM schema_version", connection, transaction))
        {
            current = (int)(await version.ExecuteScalarAsync(cancellationToken))!;
        }

        for (var next = current + 1; next <= Migrations.Count; next++)
        {
            await using var migration = new NpgsqlCommand(Migrations[next - 1], connection, transaction);
            await migration.ExecuteNonQueryAsync(cancellationToken);
            await using var record = new NpgsqlCommand("INSERT INTO schema_version (version) VALUES (@version)", connection, transaction);
            record.Parameters.AddWithValue("version", next);
            await record.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return Math.Max(0, Migrations.Count - current);
    }
}
