using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace ChangeNotifications.Notifications;

/// <summary>
/// What the inbox keeps of a notification item: its UTF-8 exactly as received, except the value of each top-level
/// <c>clientState</c>, which becomes <c>null</c>. The intake has checked it against the subscription before storing; the
/// secret need not sit in the database file, its backups, or a dead letter an operator lists.
/// </summary>
internal static class StoredPayload
{
    private static ReadOnlySpan<byte> Null => "null"u8;

    /// <summary>The stored copy of <paramref name="item"/>, in a new array.</summary>
    public static byte[] Of(JsonElement item)
    {
        var raw = JsonMarshal.GetRawUtf8Value(item);
        var stored = new byte[raw.Length - ClientStates(item, raw, out var first, out var more, out var count)];
        Copy(raw, first, more, count, stored);
        return stored;
    }

    /// <summary>Writes the stored copy of <paramref name="item"/> to <paramref name="destination"/>, if it fits (a
    /// clientState shorter than <c>null</c> makes it longer than the item as received).</summary>
    public static bool TryWriteTo(JsonElement item, Span<byte> destination, out int written)
    {
        var raw = JsonMarshal.GetRawUtf8Value(item);
        written = raw.Length - ClientStates(item, raw, out var first, out var more, out var count);
        if (written > destination.Length)
        {
            written = 0;
            return false;
        }

        Copy(raw, first, more, count, destination[..written]);
        return true;
    }

    /// <summary>Finds the non-null top-level clientState values; returns how many bytes replacing them by null saves.</summary>
    private static int ClientStates(JsonElement item, ReadOnlySpan<byte> raw, out Range first, out List<Range>? more, out int count)
    {
        // Graph sends one clientState an item: the first is kept in a local, any further ones (a malformed item) in a list.
        first = default;
        more = null;
        count = 0;
        var removed = 0;
        foreach (var property in item.EnumerateObject())
        {
            if (!property.NameEquals("clientState"u8) || property.Value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            var value = SpanWithin(raw, JsonMarshal.GetRawUtf8Value(property.Value));
            if (count++ == 0)
            {
                first = value;
            }
            else
            {
                (more ??= []).Add(value);
            }

            removed += value.End.Value - value.Start.Value - Null.Length;
        }

        return removed;
    }

    private static void Copy(ReadOnlySpan<byte> raw, Range first, List<Range>? more, int count, Span<byte> stored)
    {
        var from = 0;
        var to = 0;
        for (var i = 0; i < count; i++)
        {
            var value = i == 0 ? first : more![i - 1];
            var kept = raw[from..value.Start.Value];
            kept.CopyTo(stored[to..]);
            to += kept.Length;
            Null.CopyTo(stored[to..]);
            to += Null.Length;
            from = value.End.Value;
        }

        raw[from..].CopyTo(stored[to..]);
    }

    /// <summary>Where <paramref name="value"/> (a view into the same document) lies in <paramref name="item"/>.</summary>
    private static Range SpanWithin(ReadOnlySpan<byte> item, ReadOnlySpan<byte> value)
    {
        var offset = (long)Unsafe.ByteOffset(ref MemoryMarshal.GetReference(item), ref MemoryMarshal.GetReference(value));
        if (offset < 0 || offset + value.Length > item.Length)
        {
            throw new InvalidOperationException("A property's value does not lie within its item's JSON.");
        }

        return new Range((int)offset, (int)offset + value.Length);
    }
}
