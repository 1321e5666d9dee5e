using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using ChangeNotifications.Inbox;

namespace ChangeNotifications.Storage.Sqlite;

/// <summary>
/// A request's change notifications as one inbox row (<c>inbox_batches.items</c>): the acknowledgement stores them with
/// one insert, and the claim that needs them splits them into item rows (<see cref="SqliteInboxWriter"/>).
/// The plain layout (<see cref="PlainFormat"/>), little-endian: a format byte, the item count (int32), the token sets
/// (int32 count, then each as int32 length and UTF-8), then per item its subscription id (16 bytes), the index of its
/// token set (int32, −1 for none), its dedup key (int32 length, UTF-8; empty: none, the claim computes it) and its
/// payload (int32 length, the stored UTF-8 as is). What is written is that layout deflated (<see cref="Format"/>: the
/// format byte, the plain layout's length as int32, then raw deflate at the fastest level), or the plain layout itself
/// when it is small (<see cref="MinDeflateBytes"/>) or deflating does not make it smaller. Format 1 (the plain layout
/// before keys could be left out) is read too.
/// </summary>
/// <remarks>
/// Deflated because the bytes are the acknowledgement's cost: every byte stored goes through the WAL and again through
/// the checkpoint, under the fsyncs the 202s wait for. Graph's JSON repeats itself (names, subscription ids, resource
/// paths, tenant), so a large batch deflates to a fraction of its size for less than the disk time it saves.
/// </remarks>
internal static class InboxBatchCodec
{
    /// <summary>The layout this build writes when deflating pays: the plain layout, deflated.</summary>
    public const byte Format = 3;

    /// <summary>The plain layout (also inside <see cref="Format"/>), written when it is small or deflating would not make
    /// it smaller.</summary>
    public const byte PlainFormat = 2;

    /// <summary>The plain layout of builds before keys could be left out: the same, every key present.</summary>
    private const byte FormatWithKeys = 1;

    /// <summary>The format byte and the plain layout's length in front of the deflated bytes.</summary>
    private const int DeflatedHeader = 1 + 4;

    /// <summary>
    /// Below this plain length a batch is stored plain: setting up a deflater (its state, zeroed) has a fixed cost
    /// before a byte is saved, about what the I/O of the few hundred bytes a small batch would save costs.
    /// </summary>
    internal const int MinDeflateBytes = 8 * 1024;

    /// <summary>Deflate's best ratio is about 1 032 to 1: a stated length above that is damage, not data.</summary>
    private const int MaxInflateRatio = 1_040;

    private const int GuidBytes = 16;

    /// <summary>Encodes <paramref name="entries"/> (all <see cref="InboxItemKind.Change"/>) into an array rented from
    /// <see cref="ArrayPool{T}.Shared"/>; its first <paramref name="length"/> bytes are the blob (deflated, or plain when
    /// it is small or deflating would not make it smaller).</summary>
    public static byte[] Encode(IReadOnlyList<InboxEntry> entries, out int length)
    {
        var plain = EncodePlain(entries, out var plainLength);
        if (plainLength < MinDeflateBytes)
        {
            length = plainLength;
            return plain;
        }

        var deflated = ArrayPool<byte>.Shared.Rent(plainLength);
        if (TryDeflate(plain.AsSpan(0, plainLength), deflated, plainLength, out length))
        {
            ArrayPool<byte>.Shared.Return(plain);
            return deflated;
        }

        ArrayPool<byte>.Shared.Return(deflated);
        length = plainLength;
        return plain;
    }

    /// <summary>Deflates <paramref name="plain"/> into the first <paramref name="capacity"/> bytes of
    /// <paramref name="output"/>, behind the header; false when that is not enough (deflating would not make it
    /// smaller than <paramref name="capacity"/>, the plain layout's length, at least <see cref="MinDeflateBytes"/>).</summary>
    private static bool TryDeflate(ReadOnlySpan<byte> plain, byte[] output, int capacity, out int length)
    {
        output[0] = Format;
        BinaryPrimitives.WriteInt32LittleEndian(output.AsSpan(1), plain.Length);
        using var sink = new BoundedSink(output, DeflatedHeader, capacity);
        using (var deflate = new DeflateStream(sink, CompressionLevel.Fastest, leaveOpen: true))
        {
            deflate.Write(plain);
        }

        length = sink.End;
        return !sink.Overflowed;
    }

    /// <summary>The plain layout of <paramref name="entries"/>, in a rented array (see <see cref="Encode"/>).</summary>
    internal static byte[] EncodePlain(IReadOnlyList<InboxEntry> entries, out int length)
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
        span[0] = PlainFormat;
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

    /// <summary>The entries of <paramref name="blob"/>, in the order they were encoded; payloads are slices of it, or of
    /// the array it inflates to (not copied). Throws <see cref="InvalidDataException"/> on another format, a truncated
    /// blob or damaged deflated bytes.</summary>
    public static List<InboxEntry> Decode(byte[] blob)
    {
        ArgumentNullException.ThrowIfNull(blob);
        if (blob.Length > 0 && blob[0] == Format)
        {
            var plain = Inflate(blob);
            return plain[0] == Format
                ? throw new InvalidDataException($"Stored batch of format {Format} holds another one of format {Format}.")
                : DecodePlain(plain);
        }

        return DecodePlain(blob);
    }

    /// <summary>The plain layout inside a deflated blob (a new array: the entries' payloads are slices of it).</summary>
    private static byte[] Inflate(byte[] blob)
    {
        if (blob.Length <= DeflatedHeader)
        {
            throw new InvalidDataException("Stored batch is truncated.");
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(blob.AsSpan(1));
        if (length <= 0 || length / MaxInflateRatio > blob.Length - DeflatedHeader)
        {
            throw new InvalidDataException($"Stored batch states a length of {length} for {blob.Length - DeflatedHeader} deflated bytes.");
        }

        var plain = new byte[length];
        bool longer;
        try
        {
            using var inflate = new DeflateStream(new MemoryStream(blob, DeflatedHeader, blob.Length - DeflatedHeader, writable: false), CompressionMode.Decompress);
            inflate.ReadExactly(plain);
            Span<byte> more = stackalloc byte[1];
            longer = inflate.Read(more) > 0;
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException($"Stored batch inflates to less than its stated length of {length} (truncated).", ex);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException("Stored batch's deflated bytes are damaged.", ex);
        }

        return longer ? throw new InvalidDataException($"Stored batch inflates to more than its stated length of {length}.") : plain;
    }

    private static List<InboxEntry> DecodePlain(byte[] blob)
    {
        try
        {
            if (blob.Length == 0 || blob[0] is not (PlainFormat or FormatWithKeys))
            {
                throw new InvalidDataException($"Stored batch of format {(blob.Length == 0 ? "(empty)" : blob[0])}; this build reads formats {FormatWithKeys} to {Format}.");
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

    /// <summary>
    /// A write-only stream into a slice of an array that does not grow: deflate writes its output here, and output that
    /// would go past the slice's end (not smaller than the plain layout) sets <see cref="Overflowed"/> and is dropped.
    /// </summary>
    private sealed class BoundedSink(byte[] target, int start, int limit) : Stream
    {
        /// <summary>The index after the last byte written.</summary>
        public int End { get; private set; } = start;

        public bool Overflowed { get; private set; }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (Overflowed || buffer.Length > limit - End)
            {
                Overflowed = true;
                return;
            }

            buffer.CopyTo(target.AsSpan(End));
            End += buffer.Length;
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
