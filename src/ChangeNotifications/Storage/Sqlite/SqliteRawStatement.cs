using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace ChangeNotifications.Storage.Sqlite;

/// <summary>
/// A statement prepared once on an open <see cref="SqliteConnection"/> and run through SQLite's own API, for the inbox
/// writer's per-round and per-row statements (BEGIN, COMMIT, the insert, the completion and the claim's key). Text is encoded into one reused buffer and
/// bound by index: Microsoft.Data.Sqlite, per execution, creates a data reader, a binder per parameter and a UTF-8 copy
/// of every string, and prepares <c>BEGIN</c>/<c>COMMIT</c> anew. Not thread-safe; dispose before the connection.
/// </summary>
internal sealed class SqliteRawStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    private byte[] _buffer = [];

    public SqliteRawStatement(SqliteConnection connection, string sql)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _db = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        Check(raw.sqlite3_prepare_v2(_db, sql, out _statement));
    }

    /// <summary>The index of parameter <paramref name="name"/> (e.g. <c>$key</c>).</summary>
    public int IndexOf(string name)
    {
        var index = raw.sqlite3_bind_parameter_index(_statement, name);
        return index > 0 ? index : throw new ArgumentException($"The statement has no parameter {name}.", nameof(name));
    }

    public void BindInt64(int index, long value) => Check(raw.sqlite3_bind_int64(_statement, index, value));

    public void BindNull(int index) => Check(raw.sqlite3_bind_null(_statement, index));

    /// <summary>Binds <paramref name="value"/> as UTF-8 text (SQLite copies it).</summary>
    public void BindText(int index, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var bytes = Encode(value);
        Check(raw.sqlite3_bind_text(_statement, index, bytes));
    }

    /// <summary>Binds <paramref name="value"/> as text, or NULL when there is none.</summary>
    public void BindTextOrNull(int index, string? value)
    {
        if (value is null)
        {
            BindNull(index);
        }
        else
        {
            BindText(index, value);
        }
    }

    /// <summary>Binds <paramref name="utf8"/> as text (SQLite copies it).</summary>
    public void BindText(int index, ReadOnlySpan<byte> utf8) => Check(raw.sqlite3_bind_text(_statement, index, utf8));

    /// <summary>Binds <paramref name="value"/> as a blob (SQLite copies it).</summary>
    public void BindBlob(int index, ReadOnlySpan<byte> value) => Check(raw.sqlite3_bind_blob(_statement, index, value));

    /// <summary>Binds the GUID's "D" text (as <see cref="Guid.ToString()"/> writes it).</summary>
    public void BindGuid(int index, Guid value)
    {
        Span<byte> text = stackalloc byte[36];
        value.TryFormat(text, out var written);
        Check(raw.sqlite3_bind_text(_statement, index, text[..written]));
    }

    /// <summary>Runs the statement to its end and resets it for the next run; throws <see cref="SqliteException"/> on an error.</summary>
    public void Execute()
    {
        var result = raw.sqlite3_step(_statement);
        raw.sqlite3_reset(_statement);
        if (result != raw.SQLITE_DONE && result != raw.SQLITE_ROW)
        {
            SqliteException.ThrowExceptionForRC(result, _db);
        }
    }

    /// <summary>Runs a statement that returns one row (an <c>INSERT … RETURNING</c>) and gives its first column.</summary>
    public long ExecuteInt64()
    {
        var result = raw.sqlite3_step(_statement);
        var value = result == raw.SQLITE_ROW ? raw.sqlite3_column_int64(_statement, 0) : 0;
        var reset = raw.sqlite3_reset(_statement);
        if (result != raw.SQLITE_ROW)
        {
            SqliteException.ThrowExceptionForRC(result == raw.SQLITE_DONE ? reset : result, _db);
            throw new InvalidOperationException("The statement returned no row.");
        }

        return value;
    }

    /// <summary>Steps a query to its next row: false at its end (then it is reset). After a row, read its columns, then
    /// <see cref="Reset"/> it (it holds a read on the table until then).</summary>
    public bool Step()
    {
        var result = raw.sqlite3_step(_statement);
        if (result == raw.SQLITE_ROW)
        {
            return true;
        }

        var reset = raw.sqlite3_reset(_statement);
        if (result != raw.SQLITE_DONE)
        {
            SqliteException.ThrowExceptionForRC(result, _db);
        }

        Check(reset);
        return false;
    }

    /// <summary>Column <paramref name="index"/> (from 0) of the row <see cref="Step"/> is on.</summary>
    public long ColumnInt64(int index) => raw.sqlite3_column_int64(_statement, index);

    /// <summary>A copy of blob column <paramref name="index"/> (from 0) of the row <see cref="Step"/> is on.</summary>
    public byte[] ColumnBlob(int index) => raw.sqlite3_column_blob(_statement, index).ToArray();

    public void Reset() => raw.sqlite3_reset(_statement);

    public void Dispose() => _statement.Dispose();

    private ReadOnlySpan<byte> Encode(string value)
    {
        var needed = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (_buffer.Length < needed)
        {
            _buffer = new byte[Math.Max(needed, 2 * _buffer.Length)];
        }

        return _buffer.AsSpan(0, Encoding.UTF8.GetBytes(value, _buffer));
    }

    private void Check(int result)
    {
        if (result != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(result, _db);
        }
    }
}
