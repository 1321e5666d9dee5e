using System.Text;
using System.Text.Json;
using ChangeNotifications.Notifications;

namespace ChangeNotifications.Tests.Notifications;

public sealed class StoredPayloadTests
{
    [Theory]
    [InlineData("""{"id":"1","clientState":"s3cr3t","changeType":"updated"}""", """{"id":"1","clientState":null,"changeType":"updated"}""")]
    [InlineData("""{ "clientState" : "a\"b\u00e9c" }""", """{ "clientState" : null }""")]
    [InlineData("""{"clientState":"first","x":1,"clientState":"second"}""", """{"clientState":null,"x":1,"clientState":null}""")]
    [InlineData("""{"id":"1","resourceData":{"clientState":"not top level"}}""", """{"id":"1","resourceData":{"clientState":"not top level"}}""")]
    [InlineData("""{"id":"1","clientState":null}""", """{"id":"1","clientState":null}""")]
    [InlineData("""{"id":"1"}""", """{"id":"1"}""")]
    public void Keeps_the_item_as_received_with_each_top_level_client_state_nulled(string item, string expected)
    {
        // The item inside a batch, as the intake reads it: its raw text is a view into the whole body.
        var body = Encoding.UTF8.GetBytes($$"""{"value":[{"id":"0"}, {{item}} ]}""");
        using var document = JsonDocument.Parse(body);

        var element = document.RootElement.GetProperty("value")[1];
        var stored = StoredPayload.Of(element);
        var destination = new byte[expected.Length + 3];
        var fits = StoredPayload.TryWriteTo(element, destination.AsSpan(3), out var written);

        Assert.Equal(expected, Encoding.UTF8.GetString(stored));
        Assert.True(fits);
        Assert.Equal(expected, Encoding.UTF8.GetString(destination, 3, written));
        Assert.Equal(new byte[3], destination[..3]);
    }

    [Fact]
    public void Writing_to_a_destination_too_small_writes_nothing_and_says_so()
    {
        using var document = JsonDocument.Parse("""{"id":"1","clientState":""}""");
        var destination = new byte[document.RootElement.GetRawText().Length];

        Assert.False(StoredPayload.TryWriteTo(document.RootElement, destination, out var written));
        Assert.Equal(0, written);
        Assert.Equal(new byte[destination.Length], destination);
    }
}
