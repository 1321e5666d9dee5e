using ChangeNotifications.Handlers;
using Microsoft.Graph.Models;

namespace ChangeNotifications.Tests.Handlers;

public sealed class ChatTextPreviewTests
{
    [Fact]
    public void Html_is_stripped_entities_decoded_and_whitespace_collapsed()
    {
        var body = new ItemBody { ContentType = BodyType.Html, Content = "<div><p>Hello&nbsp;<b>team</b></p>\n\n<p>see &lt;this&gt;</p></div>" };

        Assert.Equal("Hello team see <this>", ChatMessageHandler.Preview(body)?.Replace('\u00a0', ' '));
    }

    [Fact]
    public void Long_text_is_cut_to_the_preview_length()
    {
        var preview = ChatMessageHandler.Preview(new ItemBody { ContentType = BodyType.Text, Content = new string('x', 500) })!;

        Assert.Equal(ChatMessageHandler.PreviewLength, preview.Length);
        Assert.EndsWith("…", preview, StringComparison.Ordinal);
    }

    [Fact]
    public void No_body_gives_no_text() => Assert.Null(ChatMessageHandler.Preview(null));
}
