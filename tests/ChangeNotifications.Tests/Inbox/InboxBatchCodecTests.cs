using System.Buffers;
using System.Text;
using ChangeNotifications.Inbox;

namespace ChangeNotifications.Tests.Inbox;

public sealed class InboxBatchCodecTests
{
    private static readonly Guid First = Guid.Parse("6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f");
    private static readonly Guid Second = Guid.Parse("0b6d3c1e-2f4a-4b5c-9d6e-7f8091a2b3c4");

    private static byte[] Encoded(params InboxEntry[] entries)
    {
        var buffer = InboxBatchCodec.Encode(entries, out var length);
        var blob = buffer.AsSpan(0, length).ToArray();
        ArrayPool<byte>.Shared.Return(buffer);
        return blob;
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

        var blob = Encoded(entries);
        var decoded = InboxBatchCodec.Decode(blob);

        Assert.Equal(
            entries.Select(e => (e.DedupKey, e.Kind, e.SubscriptionId, Encoding.UTF8.GetString(e.Payload.Span), e.ValidationTokens)),
            decoded.Select(e => (e.DedupKey, e.Kind, e.SubscriptionId, Encoding.UTF8.GetString(e.Payload.Span), e.ValidationTokens)));
        Assert.Equal(1, CountOf(blob, tokens));
        Assert.Equal(1, CountOf(blob, other));
    }

    [Fact]
    public void Entries_without_a_key_come_back_without_one_beside_those_with_one()
    {
        var blob = Encoded(
            new InboxEntry(null, InboxItemKind.Change, First, "{}", null),
            new InboxEntry("k", InboxItemKind.Change, Second, "[]", null));

        var decoded = InboxBatchCodec.Decode(blob);

        Assert.Equal(InboxBatchCodec.Format, blob[0]);
        Assert.Equal([null, "k"], decoded.Select(e => e.DedupKey));
        Assert.Equal(["{}", "[]"], decoded.Select(e => Encoding.UTF8.GetString(e.Payload.Span)));
    }

    [Fact]
    public void Batches_of_format_1_stored_by_earlier_builds_are_read()
    {
        // Format 1 had the same layout with every key present.
        byte[] blob = [1, .. Encoded(new InboxEntry("k1", InboxItemKind.Change, First, "{}", "[\"t\"]"), new InboxEntry("k2", InboxItemKind.Change, Second, "[]", null))[1..]];

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
        var blob = Encoded(new InboxEntry("k", InboxItemKind.Change, First, "{}", null), new InboxEntry("j", InboxItemKind.Change, First, "{}", null));
        byte[] damaged = cut switch
        {
            0 => [3, .. blob[1..]],
            -1 => [.. blob, 0],
            _ => blob[..(blob.Length - cut)],
        };

        var error = Assert.Throws<InvalidDataException>(() => InboxBatchCodec.Decode(damaged));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_length_past_the_end_is_invalid_data_not_an_allocation()
    {
        var blob = Encoded(new InboxEntry("k", InboxItemKind.Change, First, "{}", null));
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
