using System.Text;
using System.Text.Json;
using ChangeNotifications.Receiving;

namespace ChangeNotifications.Tests.Receiving;

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

        var stored = StoredPayload.Of(document.RootElement.GetProperty("value")[1]);

        Assert.Equal(expected, Encoding.UTF8.GetString(stored));
    }
}
