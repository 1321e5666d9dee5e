using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace ChangeNotifications.Inbox;

/// <summary>
/// A request's change notifications as one inbox row (<c>inbox_batches.items</c>): the acknowledgement stores them with
/// one insert, and the claim that needs them splits them into item rows (<see cref="SqliteInboxWriter"/>).
/// Layout, little-endian: a format byte (<see cref="Format"/>), the item count (int32), the token sets (int32 count, then
/// each as int32 length and UTF-8), then per item its subscription id (16 bytes), the index of its token set (int32, −1
/// for none), its dedup key (int32 length, UTF-8; empty: none, the claim computes it) and its payload (int32 length, the
/// stored UTF-8 as is). Format 1 (before keys could be left out) is read too.
/// </summary>
internal static class InboxBatchCodec
{
    /// <summary>The layout's version: a file holding another one was written by a newer build.</summary>
    public const byte Format = 2;

    /// <summary>The layout of builds before keys could be left out: the same, every key present.</summary>
    private const byte FormatWithKeys = 1;

    private const int GuidBytes = 16;

    /// <summary>Encodes <paramref name="entries"/> (all <see cref="InboxItemKind.Change"/>) into an array rented from
    /// <see cref="ArrayPool{T}.Shared"/>; its first <paramref name="length"/> bytes are the blob.</summary>
    public static byte[] Encode(IReadOnlyList<InboxEntry> entries, out int length)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var tokenSets = new List<string>(1);
        var size = 1 + 4 + 4;
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            if (entry.Kind != InboxItemKind.Change)
            {
                throw new ArgumentException("Only change notifications are stored as a batch.", nameof(entries));
            }

            if (entry.ValidationTokens is { } tokens && IndexOf(tokenSets, tokens) < 0)
            {
                tokenSets.Add(tokens);
                size += 4 + Encoding.UTF8.GetByteCount(tokens);
            }

            size += GuidBytes + 4 + 4 + Encoding.UTF8.GetByteCount(entry.DedupKey ?? "") + 4 + entry.Payload.Length;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(size);
        var span = buffer.AsSpan(0, size);
        span[0] = Format;
        var at = 1;
        WriteInt32(span, ref at, entries.Count);
        WriteInt32(span, ref at, tokenSets.Count);
        foreach (var tokens in tokenSets)
        {
            WriteText(span, ref at, tokens);
        }

        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            entry.SubscriptionId.TryWriteBytes(span.Slice(at, GuidBytes));
            at += GuidBytes;
            WriteInt32(span, ref at, entry.ValidationTokens is { } tokens ? IndexOf(tokenSets, tokens) : -1);
            WriteText(span, ref at, entry.DedupKey ?? "");
            WriteInt32(span, ref at, entry.Payload.Length);
            entry.Payload.Span.CopyTo(span[at..]);
            at += entry.Payload.Length;
        }

        length = size;
        return buffer;
    }

    /// <summary>The entries of <paramref name="blob"/>, in the order they were encoded; payloads are slices of it (not
    /// copied). Throws <see cref="InvalidDataException"/> on another format or a truncated blob.</summary>
    public static List<InboxEntry> Decode(byte[] blob)
    {
        ArgumentNullException.ThrowIfNull(blob);
        try
        {
            if (blob.Length == 0 || blob[0] is not (Format or FormatWithKeys))
            {
                throw new InvalidDataException($"Stored batch of format {(blob.Length == 0 ? "(empty)" : blob[0])}; this build reads formats {FormatWithKeys} and {Format}.");
            }

            var at = 1;
            var count = ReadCount(blob, ref at);
            var tokenSets = new string[ReadCount(blob, ref at)];
            for (var i = 0; i < tokenSets.Length; i++)
            {
                tokenSets[i] = ReadText(blob, ref at);
            }

            var entries = new List<InboxEntry>(count);
            for (var i = 0; i < count; i++)
            {
                var subscription = new Guid(blob.AsSpan(at, GuidBytes));
                at += GuidBytes;
                var tokenSet = ReadInt32(blob, ref at);
                var key = ReadText(blob, ref at) is { Length: > 0 } text ? text : null;
                var payloadLength = ReadCount(blob, ref at);
                var payload = new ReadOnlyMemory<byte>(blob, at, payloadLength);
                at += payloadLength;
                entries.Add(new InboxEntry(key, InboxItemKind.Change, subscription, payload, tokenSet < 0 ? null : tokenSets[tokenSet]));
            }

            return at == blob.Length ? entries : throw new InvalidDataException($"Stored batch has {blob.Length - at} bytes after its last item.");
        }
        catch (Exception ex) when (ex is ArgumentException or IndexOutOfRangeException)
        {
            throw new InvalidDataException("Stored batch is truncated.", ex);
        }
    }

    private static int IndexOf(List<string> tokenSets, string tokens)
    {
        for (var i = 0; i < tokenSets.Count; i++)
        {
            if (ReferenceEquals(tokenSets[i], tokens) || string.Equals(tokenSets[i], tokens, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    private static void WriteInt32(Span<byte> span, ref int at, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], value);
        at += 4;
    }

    private static void WriteText(Span<byte> span, ref int at, string value)
    {
        var written = Encoding.UTF8.GetBytes(value, span[(at + 4)..]);
        WriteInt32(span, ref at, written);
        at += written;
    }

    private static int ReadInt32(byte[] blob, ref int at)
    {
        var value = BinaryPrimitives.ReadInt32LittleEndian(blob.AsSpan(at, 4));
        at += 4;
        return value;
    }

    private static int ReadCount(byte[] blob, ref int at)
    {
        var value = ReadInt32(blob, ref at);
        return value >= 0 && value <= blob.Length - at ? value : throw new InvalidDataException($"Stored batch has a length of {value} at byte {at - 4}.");
    }

    private static string ReadText(byte[] blob, ref int at)
    {
        var length = ReadCount(blob, ref at);
        var text = Encoding.UTF8.GetString(blob, at, length);
        at += length;
        return text;
    }
}
