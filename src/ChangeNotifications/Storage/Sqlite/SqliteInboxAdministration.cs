using System.Globalization;
using System.Text;
using ChangeNotifications.Admin;
using ChangeNotifications.Inbox;
using Microsoft.Data.Sqlite;

namespace ChangeNotifications.Storage.Sqlite;

/// <summary>
/// <see cref="IInboxAdministration"/> on the <c>inbox</c> table: one statement per call on a connection of its own
/// (WAL: reads never wait for the writer's rounds, a replay waits for the lock like any retry does). Rows of
/// <c>inbox_batches</c> are not items yet: they are listed once the dispatcher's claim has split them.
/// </summary>
internal sealed class SqliteInboxAdministration(SqliteDatabase database, TimeProvider time) : IInboxAdministration
{
    public async Task<IReadOnlyList<InboxItem>> ListAsync(InboxQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        var where = Filter(command, query, includeStatus: true);
        if (query.BeforeId is { } before)
        {
            where.Append(" AND id < $before");
            command.Parameters.AddWithValue("$before", before);
        }

        command.CommandText = $"SELECT {SqliteInbox.ItemColumns} FROM inbox WHERE {where} ORDER BY id DESC LIMIT $limit;";
        command.Parameters.AddWithValue("$limit", query.Limit);
        var items = new List<InboxItem>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(SqliteInbox.ReadItem(reader));
        }

        return items;
    }

    public async Task<int> ReplayAsync(InboxQuery filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        var where = Filter(command, filter, includeStatus: false);
        command.CommandText = $"""
            UPDATE inbox SET status = 0, attempts = 0, not_before = $now, finished_at = NULL
            WHERE status = 3 AND {where};
            """;
        command.Parameters.AddWithValue("$now", UnixTime.ToMs(time.GetUtcNow()));
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyDictionary<Guid, long>> CountPendingAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT subscription_id, COUNT(*) FROM inbox WHERE status IN (0, 1) GROUP BY subscription_id;";
        var counts = new Dictionary<Guid, long>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts[Guid.Parse(reader.GetString(0))] = reader.GetInt64(1);
        }

        return counts;
    }

    /// <summary>The query's criteria as a WHERE clause (<c>1 = 1</c> and more), their values as parameters.</summary>
    private static StringBuilder Filter(SqliteCommand command, InboxQuery query, bool includeStatus)
    {
        var where = new StringBuilder("1 = 1");
        var p = command.Parameters;
        if (query.Ids is { } ids)
        {
            In(where, "id", ids.Select((id, i) => Add(p, "$id", i, id)).ToList());
        }

        if (query.SubscriptionIds is { } subscriptions)
        {
            In(where, "subscription_id", subscriptions.Select((s, i) => Add(p, "$sub", i, s.ToString("D"))).ToList());
        }

        if (includeStatus && query.Status is { } status)
        {
            where.Append(" AND status = $status");
            p.AddWithValue("$status", (int)status);
        }

        if (query.ReceivedFrom is { } from)
        {
            where.Append(" AND received_at >= $from");
            p.AddWithValue("$from", UnixTime.ToMs(from));
        }

        if (query.ReceivedBefore is { } to)
        {
            where.Append(" AND received_at < $to");
            p.AddWithValue("$to", UnixTime.ToMs(to));
        }

        return where;
    }

    /// <summary><c>column IN (…)</c>; an empty list matches nothing.</summary>
    private static void In(StringBuilder where, string column, List<string> parameterNames)
    {
        if (parameterNames.Count == 0)
        {
            where.Append(" AND 0 = 1");
            return;
        }

        where.Append(" AND ").Append(column).Append(" IN (").AppendJoin(", ", parameterNames).Append(')');
    }

    private static string Add(SqliteParameterCollection parameters, string prefix, int index, object value)
    {
        var name = prefix + index.ToString(CultureInfo.InvariantCulture);
        parameters.AddWithValue(name, value);
        return name;
    }
}
