using System.Net;
using ChangeNotifications.Tests.Admin;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;

namespace ChangeNotifications.Tests.StatusPage;

/// <summary>The status page's schemes, apart from the admin API's: signed out, the page sends people to sign in
/// (code flow with PKCE at the emulator), its scripts get 401, and an admin API token opens nothing.</summary>
public sealed class StatusPageSignInTests : IDisposable
{
    private readonly ServiceFactory _service = new();

    public void Dispose() => _service.Dispose();

    private HttpClient Client() => _service.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

    [Fact]
    public async Task Signed_out_the_page_redirects_to_the_emulators_authorize_endpoint_with_PKCE()
    {
        using var client = Client();

        using var response = await client.GetAsync(new Uri("/status", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!.ToString();
        Assert.StartsWith("https://127.0.0.1:", location, StringComparison.Ordinal);
        Assert.Contains("/oauth2/v2.0/authorize?", location, StringComparison.Ordinal);
        Assert.Contains("response_type=code", location, StringComparison.Ordinal);
        Assert.Contains("code_challenge_method=S256", location, StringComparison.Ordinal);
        Assert.Contains("redirect_uri=http%3A%2F%2Flocalhost%2Fstatus%2Fsignin-oidc", location, StringComparison.Ordinal);
        Assert.DoesNotContain("response_mode=form_post", location, StringComparison.Ordinal); // query: the code flow's default
        // Sent back with the redirect from the emulator's https origin to the service's plain-http loopback address.
        var correlation = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith(".AspNetCore.Correlation.", StringComparison.Ordinal));
        Assert.Contains("path=/status/signin-oidc", correlation, StringComparison.Ordinal);
        Assert.Contains("samesite=lax", correlation, StringComparison.Ordinal);
        Assert.DoesNotContain("secure", correlation, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/status/api/subscriptions")]
    [InlineData("/status/api/events")]
    public async Task Signed_out_the_pages_scripts_get_401(string path)
    {
        using var client = Client();

        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task An_admin_api_token_does_not_open_the_page()
    {
        using var client = Client();
        var token = await AdminTokens.GetAsync(_service.Services);

        using var response = await client.WithToken(token).GetAsync(new Uri("/status/api/subscriptions", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
