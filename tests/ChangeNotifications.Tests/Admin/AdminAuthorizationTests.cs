using System.Net;
using ChangeNotifications.Admin;
using ChangeNotifications.GraphEmulator.Tenant;
using ChangeNotifications.Tests.Infrastructure;

namespace ChangeNotifications.Tests.Admin;

/// <summary>
/// The admin API in Emulator mode: Microsoft.Identity.Web validates the emulator's signed tokens against its OpenID
/// metadata and keys over HTTPS; the app role decides.
/// </summary>
public sealed class AdminAuthorizationTests : IDisposable
{
    private static readonly Uri Subscriptions = new($"{AdminEndpoints.Prefix}/subscriptions", UriKind.Relative);
    private readonly ServiceFactory _service = new();

    public void Dispose() => _service.Dispose();

    [Fact]
    public async Task Without_a_token_the_answer_is_401()
    {
        using var client = _service.CreateClient();

        using var response = await client.GetAsync(Subscriptions);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_valid_token_without_the_admin_role_gets_403()
    {
        using var client = _service.CreateClient();
        var token = await AdminTokens.GetAsync(_service.Services, SeedIds.ReaderClientId, SeedIds.ReaderClientSecret);

        using var response = await client.WithToken(token).GetAsync(Subscriptions);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task A_token_with_the_admin_role_gets_200()
    {
        var record = _service.Subscriptions.Add($"/users/{SeedIds.UserId}/messages");
        using var client = _service.CreateClient();
        var token = await AdminTokens.GetAsync(_service.Services);

        using var response = await client.WithToken(token).GetAsync(Subscriptions);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.Contains(record.GraphId!.Value.ToString(), body, StringComparison.Ordinal);
        Assert.DoesNotContain(record.ClientState, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_signed_by_another_key_gets_401()
    {
        using var client = _service.CreateClient();
        var token = await AdminTokens.GetAsync(_service.Services);
        var parts = token.Split('.');
        var forged = $"{parts[0]}.{parts[1]}.{parts[2][..^4]}AAAA";

        using var response = await client.WithToken(forged).GetAsync(Subscriptions);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
