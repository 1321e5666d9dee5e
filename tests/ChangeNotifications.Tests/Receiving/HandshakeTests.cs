using System.Net;
using System.Text;
using ChangeNotifications.Tests.Infrastructure;

namespace ChangeNotifications.Tests.Receiving;

public sealed class HandshakeTests : IDisposable
{
    private readonly ServiceFactory _service = new();

    public void Dispose() => _service.Dispose();

    public static TheoryData<string> Endpoints => new() { "/api/notifications", "/api/lifecycle" };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Echoes_Graphs_token_decoded_as_plain_text(string endpoint)
    {
        var token = $"Validation: Testing client application reachability for subscription Request-Id: {Guid.NewGuid()}";
        var encoded = Uri.EscapeDataString(token).Replace("%20", "+", StringComparison.Ordinal);
        var client = _service.CreateClient();

        using var content = new StringContent(string.Empty);
        content.Headers.ContentType = new("text/plain") { CharSet = "utf-8" };
        var response = await client.PostAsync($"{endpoint}?validationToken={encoded}", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
        Assert.Equal(Encoding.UTF8.GetByteCount(token), response.Content.Headers.ContentLength);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal(token, await response.Content.ReadAsStringAsync());
        Assert.Equal(0, (await _service.Inbox.CountAsync(default)).Total);
    }

    [Fact]
    public async Task Query_key_is_case_insensitive_and_body_is_not_read()
    {
        var client = _service.CreateClient();
        using var content = Payloads.Json("{ this is not json");

        var response = await client.PostAsync("/api/notifications?ValidationToken=abc+def", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("abc def", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("%3Cscript%3Ealert(1)%3C%2Fscript%3E")]
    [InlineData("line%0Abreak")]
    [InlineData("bell%07")]
    public async Task Refuses_tokens_with_markup_or_control_characters(string encoded)
    {
        var client = _service.CreateClient();

        var response = await client.PostAsync($"/api/notifications?validationToken={encoded}", null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Refuses_tokens_over_the_length_limit()
    {
        var client = _service.CreateClient();

        var response = await client.PostAsync($"/api/notifications?validationToken={new string('a', 1025)}", null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
