using System.Text;
using ChangeNotifications.Admin;
using ChangeNotifications.Inbox;
using Npgsql;
using NpgsqlTypes;

namespace ChangeNotifications.Storage.Postgres;

/// <summary>
/// <see cref="IInboxAdministration"/> on the shared <c>inbox</c> table: one statement per call, so every instance
/// answers alike. A replay makes the items ready and wakes the dispatchers of every instance (NOTIFY).
/// </summary>
internal sealed class PostgresInboxAdministration(NpgsqlDataSource dataSource, TimeProvider time) : IInboxAdministration
{
    public async Task<IReadOnlyList<InboxItem>> ListAsync(InboxQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var command = dataSource.CreateCommand();
        var where = Filter(command, query, includeStatus: true);
        if (query.BeforeId is { } before)
        {
            where.Append(" AND id < ").Append(Add(command, before, NpgsqlDbType.Bigint));
        }

        command.CommandText = $"SELECT {PostgresInbox.Columns} FROM inbox WHERE {where} ORDER BY id DESC LIMIT {Add(command, query.Limit, NpgsqlDbType.Integer)};";
        var items = new List<InboxItem>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(PostgresInbox.ReadItem(reader, out _));
        }

        return items;
    }

    public async Task<int> ReplayAsync(InboxQuery filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        await using var command = dataSource.CreateCommand();
        var where = Filter(command, filter, includeStatus: false);
        var now = Add(command, time.GetUtcNow(), NpgsqlDbType.TimestampTz);
        command.CommandText = $"""
            WITH replayed AS (
                UPDATE inbox SET status = 0, attempts = 0, not_before = {now}, locked_until = NULL, finished_at = NULL
                WHERE status = 3 AND {where}
                RETURNING 1)
            SELECT COUNT(*)::int, pg_notify('{PostgresInbox.NotifyChannel}', '') FROM replayed;
            """;
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<IReadOnlyDictionary<Guid, long>> CountPendingAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT subscription_id, COUNT(*) FROM inbox WHERE status IN (0, 1) GROUP BY subscription_id;");
        var counts = new Dictionary<Guid, long>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts[reader.GetGuid(0)] = reader.GetInt64(1);
        }

        return counts;
    }

    /// <summary>The query's criteria as a WHERE clause (<c>true</c> and more), their values as parameters. Lists are
    /// arrays compared with <c>= ANY</c>: an empty one matches nothing.</summary>
    private static StringBuilder Filter(NpgsqlCommand command, InboxQuery query, bool includeStatus)
    {
        var where = new StringBuilder("true");
        if (query.Ids is { } ids)
        {
            where.Append(" AND id = ANY(").Append(Add(command, ids.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Bigint)).Append(')');
        }

        if (query.SubscriptionIds is { } subscriptions)
        {
            where.Append(" AND subscription_id = ANY(")
                .Append(Add(command, subscriptions.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Uuid)).Append(')');
        }

        if (includeStatus && query.Status is { } status)
        {
            where.Append(" AND status = ").Append(Add(command, (short)status, NpgsqlDbType.Smallint));
        }

        if (query.ReceivedFrom is { } from)
        {
            where.Append(" AND received_at >= ").Append(Add(command, from.ToUniversalTime(), NpgsqlDbType.TimestampTz));
        }

        if (query.ReceivedBefore is { } to)
        {
            where.Append(" AND received_at < ").Append(Add(command, to.ToUniversalTime(), NpgsqlDbType.TimestampTz));
        }

        return where;
    }

    /// <summary>Adds a positional parameter and returns its placeholder (<c>$n</c>).</summary>
    private static string Add(NpgsqlCommand command, object value, NpgsqlDbType type)
    {
        command.Parameters.Add(new NpgsqlParameter { Value = value, NpgsqlDbType = type });
        return "$" + command.Parameters.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
