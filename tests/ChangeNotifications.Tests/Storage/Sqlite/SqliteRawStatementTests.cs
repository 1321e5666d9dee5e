using ChangeNotifications.Inbox;
using ChangeNotifications.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace ChangeNotifications.Tests.Storage.Sqlite;

public sealed class SqliteRawStatementTests : IDisposable
{
    private readonly SqliteConnection _connection = new("Data Source=:memory:");

    public SqliteRawStatementTests()
    {
        _connection.Open();
        using var create = _connection.CreateCommand();
        create.CommandText = "CREATE TABLE keys (key TEXT PRIMARY KEY, holder INTEGER NOT NULL CHECK (holder > 0));";
        create.ExecuteNonQuery();
    }

    public void Dispose() => _connection.Dispose();

    [Fact]
    public void ExecuteInt64_gives_the_returned_column_and_the_statement_runs_again_with_new_bindings()
    {
        using var hold = new SqliteRawStatement(_connection, "INSERT INTO keys (key, holder) VALUES ($key, $id) ON CONFLICT (key) DO UPDATE SET holder = holder RETURNING holder;");
        var key = hold.IndexOf("$key");
        var id = hold.IndexOf("$id");

        hold.BindText(key, "a");
        hold.BindInt64(id, 7);
        Assert.Equal(7, hold.ExecuteInt64());

        hold.BindInt64(id, 9);
        Assert.Equal(7, hold.ExecuteInt64());

        hold.BindText(key, "b");
        Assert.Equal(9, hold.ExecuteInt64());
    }

    [Fact]
    public void ExecuteInt64_throws_the_statement_error_and_one_without_a_row()
    {
        using var hold = new SqliteRawStatement(_connection, "INSERT INTO keys (key, holder) VALUES ($key, $id) RETURNING holder;");
        hold.BindText(hold.IndexOf("$key"), "a");
        hold.BindInt64(hold.IndexOf("$id"), 0);

        var failed = Assert.Throws<SqliteException>(() => hold.ExecuteInt64());
        Assert.Contains("CHECK constraint failed", failed.Message, StringComparison.Ordinal);

        using var none = new SqliteRawStatement(_connection, "DELETE FROM keys WHERE key = 'none';");
        Assert.Throws<InvalidOperationException>(() => none.ExecuteInt64());
    }
}
