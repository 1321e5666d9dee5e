using System.Buffers;
using System.Text;
using ChangeNotifications.Inbox;
using ChangeNotifications.Storage.Sqlite;

namespace ChangeNotifications.Tests.Storage.Sqlite;

public sealed class InboxBatchCodecTests
{
    private static readonly Guid First = Guid.Parse("6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f");
    private static readonly Guid Second = Guid.Parse("0b6d3c1e-2f4a-4b5c-9d6e-7f8091a2b3c4");

    private static byte[] Encoded(params InboxEntry[] entries) => Returned(InboxBatchCodec.Encode(entries, out var length), length);

    private static byte[] Plain(params InboxEntry[] entries) => Returned(InboxBatchCodec.EncodePlain(entries, out var length), length);

    /// <summary>A copy of the rented <paramref name="buffer"/>'s first <paramref name="length"/> bytes; the buffer goes back to the pool.</summary>
    private static byte[] Returned(byte[] buffer, int length)
    {
        var blob = buffer.AsSpan(0, length).ToArray();
        ArrayPool<byte>.Shared.Return(buffer);
        return blob;
    }

    /// <summary>A batch as Graph sends them: ids, resources and subscriptions vary, the rest repeats.</summary>
    private static InboxEntry[] GraphBatch(int count, int seed)
    {
        var random = new Random(seed);
        Guid NextGuid() => new(Enumerable.Range(0, 16).Select(_ => (byte)random.Next(256)).ToArray());
        var tenant = NextGuid();
        return [.. Enumerable.Range(0, count).Select(i =>
        {
            var user = NextGuid();
            var subscription = i % 2 == 0 ? First : Second;
            var payload = "{\"id\":\"" + NextGuid() + "\",\"subscriptionId\":\"" + subscription
                + "\",\"subscriptionExpirationDateTime\":\"2026-11-30T11:00:00.0000000+00:00\",\"clientState\":null,\"changeType\":\"updated\",\"resource\":\"Users/" + user
                + "\",\"tenantId\":\"" + tenant + "\",\"resourceData\":{\"@odata.type\":\"#Microsoft.Graph.User\",\"@odata.id\":\"Users/" + user
                + "\",\"id\":\"" + user + "\",\"organizationId\":\"" + tenant + "\"}}";
            return new InboxEntry(null, InboxItemKind.Change, subscription, Encoding.UTF8.GetBytes(payload), i % 3 == 0 ? "[\"eyJ0eXAiOiJKV1QifQ.a.b\"]" : null);
        })];
    }

    private static IEnumerable<(string?, InboxItemKind, Guid, string, string?)> Contents(IEnumerable<InboxEntry> entries) =>
        entries.Select(e => (e.DedupKey, e.Kind, e.SubscriptionId, Encoding.UTF8.GetString(e.Payload.Span), e.ValidationTokens));

    [Fact]
    public void A_batch_of_Graph_notifications_is_stored_deflated_and_comes_back_whole()
    {
        var entries = GraphBatch(100, seed: 7);

        var blob = Encoded(entries);

        Assert.Equal(InboxBatchCodec.Format, blob[0]);
        var plainLength = Plain(entries).Length;
        Assert.True(blob.Length * 2 < plainLength, $"{blob.Length} bytes deflated from {plainLength}");
        Assert.Equal(Contents(entries), Contents(InboxBatchCodec.Decode(blob)));
    }

    [Fact]
    public void A_small_batch_is_stored_plain_however_well_it_would_deflate()
    {
        var entries = GraphBatch(3, seed: 5);
        Assert.True(Plain(entries).Length < InboxBatchCodec.MinDeflateBytes);

        var blob = Encoded(entries);

        Assert.Equal(Plain(entries), blob);
        Assert.Equal(Contents(entries), Contents(InboxBatchCodec.Decode(blob)));
    }

    [Fact]
    public void A_batch_that_deflating_would_not_shrink_is_stored_plain()
    {
        var random = new Random(11);
        var noise = new byte[InboxBatchCodec.MinDeflateBytes];
        random.NextBytes(noise);
        var entries = new[] { new InboxEntry("k", InboxItemKind.Change, First, noise, null), new InboxEntry(null, InboxItemKind.Change, Second, noise.Reverse().ToArray(), null) };

        var blob = Encoded(entries);

        Assert.Equal(InboxBatchCodec.PlainFormat, blob[0]);
        Assert.Equal(Plain(entries), blob);
        Assert.Equal(Contents(entries), Contents(InboxBatchCodec.Decode(blob)));
    }

    public static TheoryData<string, string> DamagedDeflatedBatches => new()
    {
        { "cut", "Stored batch" },
        { "flipped", "Stored batch" },
        { "stated longer", "less than its stated length" },
        { "stated shorter", "more than its stated length" },
        { "stated huge", "states a length" },
        { "nested", "holds another one" },
    };

    [Theory]
    [MemberData(nameof(DamagedDeflatedBatches))]
    public void A_damaged_deflated_batch_is_invalid_data(string damage, string expected)
    {
        var blob = Encoded(GraphBatch(40, seed: 3));
        Assert.Equal(InboxBatchCodec.Format, blob[0]);
        var stated = BitConverter.ToInt32(blob, 1);
        byte[] damaged = damage switch
        {
            "cut" => blob[..(blob.Length / 2)],
            "flipped" => [.. blob[..5], .. blob[5..].Select(b => (byte)~b)],
            "stated longer" => WithStatedLength(blob, stated + 1),
            "stated shorter" => WithStatedLength(blob, stated - 1),
            "stated huge" => WithStatedLength(blob, int.MaxValue),
            _ => Nested(blob),
        };

        var error = Assert.Throws<InvalidDataException>(() => InboxBatchCodec.Decode(damaged));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    private static byte[] WithStatedLength(byte[] blob, int length)
    {
        var copy = blob.ToArray();
        BitConverter.TryWriteBytes(copy.AsSpan(1), length);
        return copy;
    }

    /// <summary>A deflated blob whose plain layout is itself a deflated blob.</summary>
    private static byte[] Nested(byte[] inner)
    {
        using var output = new MemoryStream();
        using (var deflate = new System.IO.Compression.DeflateStream(output, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            deflate.Write(inner);
        }

        return [InboxBatchCodec.Format, .. BitConverter.GetBytes(inner.Length), .. output.ToArray()];
    }

    [Fact]
    public void Entries_come_back_as_written_in_order_with_each_token_set_stored_once()
    {
        var tokens = "[\"eyJ0eXAiOiJKV1QifQ.a.b\"]";
        var other = "[\"other\"]";
        InboxEntry[] entries =
        [
            new("k1", InboxItemKind.Change, First, """{"id":"1","name":"Zoë ✓"}""", tokens),
            new("k2 ✓", InboxItemKind.Change, Second, "", null),
            new("k3", InboxItemKind.Change, First, "{}", string.Concat("[\"eyJ0eXAiOiJKV1QifQ", ".a.b\"]")),
            new("k4", InboxItemKind.Change, Second, "[]", other),
        ];

        var blob = Plain(entries);
        var decoded = InboxBatchCodec.Decode(blob);

        Assert.Equal(Contents(entries), Contents(decoded));
        Assert.Equal(Contents(entries), Contents(InboxBatchCodec.Decode(Encoded(entries))));
        Assert.Equal(1, CountOf(blob, tokens));
        Assert.Equal(1, CountOf(blob, other));
    }

    [Fact]
    public void Entries_without_a_key_come_back_without_one_beside_those_with_one()
    {
        var blob = Plain(
            new InboxEntry(null, InboxItemKind.Change, First, "{}", null),
            new InboxEntry("k", InboxItemKind.Change, Second, "[]", null));

        var decoded = InboxBatchCodec.Decode(blob);

        Assert.Equal(InboxBatchCodec.PlainFormat, blob[0]);
        Assert.Equal([null, "k"], decoded.Select(e => e.DedupKey));
        Assert.Equal(["{}", "[]"], decoded.Select(e => Encoding.UTF8.GetString(e.Payload.Span)));
    }

    [Fact]
    public void Batches_of_format_1_stored_by_earlier_builds_are_read()
    {
        // Format 1 had the same layout with every key present.
        byte[] blob = [1, .. Plain(new InboxEntry("k1", InboxItemKind.Change, First, "{}", "[\"t\"]"), new InboxEntry("k2", InboxItemKind.Change, Second, "[]", null))[1..]];

        var decoded = InboxBatchCodec.Decode(blob);

        Assert.Equal(["k1", "k2"], decoded.Select(e => e.DedupKey));
        Assert.Equal(["[\"t\"]", null], decoded.Select(e => e.ValidationTokens));
    }

    [Fact]
    public void Lifecycle_events_are_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => Encoded(new InboxEntry("l", InboxItemKind.Lifecycle, First, "{}", null)));
        Assert.Contains("Only change notifications", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, "format")]
    [InlineData(9, "truncated")]
    [InlineData(-1, "after its last item")]
    public void Another_format_a_cut_or_trailing_bytes_is_invalid_data(int cut, string expected)
    {
        var blob = Plain(new InboxEntry("k", InboxItemKind.Change, First, "{}", null), new InboxEntry("j", InboxItemKind.Change, First, "{}", null));
        byte[] damaged = cut switch
        {
            0 => [4, .. blob[1..]],
            -1 => [.. blob, 0],
            _ => blob[..(blob.Length - cut)],
        };

        var error = Assert.Throws<InvalidDataException>(() => InboxBatchCodec.Decode(damaged));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_length_past_the_end_is_invalid_data_not_an_allocation()
    {
        var blob = Plain(new InboxEntry("k", InboxItemKind.Change, First, "{}", null));
        blob[1] = 0xff;
        blob[4] = 0x7f;

        var error = Assert.Throws<InvalidDataException>(() => InboxBatchCodec.Decode(blob));
        Assert.Contains("length", error.Message, StringComparison.Ordinal);
    }

    private static int CountOf(byte[] blob, string text)
    {
        var needle = Encoding.UTF8.GetBytes(text);
        var count = 0;
        for (var at = blob.AsSpan().IndexOf(needle); at >= 0;)
        {
            count++;
            var next = blob.AsSpan(at + 1).IndexOf(needle);
            at = next < 0 ? -1 : at + 1 + next;
        }

        return count;
    }
}
