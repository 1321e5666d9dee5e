using System.Net;
using ChangeNotifications.GraphEmulator.Tenant;
using ChangeNotifications.Tests.Admin;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;

namespace ChangeNotifications.Tests.Emulator;

/// <summary>The emulator's tokens for the clients of the service's API: shaped as Entra's v2 app-only tokens.</summary>
public sealed class ApiTokenTests(EmulatorFixture emulator) : IClassFixture<EmulatorFixture>
{
    [Fact]
    public async Task The_admin_client_gets_a_signed_v2_token_for_the_app_with_its_roles()
    {
        var token = new JsonWebToken(await AdminTokens.GetAsync(emulator.Server, SeedIds.AdminClientId, SeedIds.AdminClientSecret));

        Assert.Equal("RS256", token.Alg);
        Assert.Equal($"https://login.microsoftonline.com/{SeedIds.TenantId}/v2.0", token.Issuer);
        Assert.Equal([SeedIds.ClientId], token.Audiences);
        Assert.Equal("2.0", token.GetClaim("ver").Value);
        Assert.Equal(SeedIds.AdminClientId, token.GetClaim("azp").Value);
        Assert.Equal([SeedIds.AdminRole], token.Claims.Where(c => c.Type == "roles").Select(c => c.Value));
    }

    [Fact]
    public async Task Another_scope_or_a_wrong_secret_is_refused_as_Entra_does()
    {
        using var http = emulator.CreateHttpClient();
        using var graphScope = await http.PostAsync(new Uri($"{SeedIds.TenantId}/oauth2/v2.0/token", UriKind.Relative), Form(SeedIds.AdminClientSecret, "https://graph.microsoft.com/.default"));
        using var wrongSecret = await http.PostAsync(new Uri($"{SeedIds.TenantId}/oauth2/v2.0/token", UriKind.Relative), Form("guess", $"api://{SeedIds.ClientId}/.default"));

        Assert.Equal(HttpStatusCode.BadRequest, graphScope.StatusCode);
        Assert.Contains("AADSTS500011", await graphScope.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongSecret.StatusCode);
        Assert.Contains("AADSTS7000215", await wrongSecret.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static FormUrlEncodedContent Form(string secret, string scope) => new(new Dictionary<string, string>
    {
        ["grant_type"] = "client_credentials",
        ["client_id"] = SeedIds.AdminClientId,
        ["client_secret"] = secret,
        ["scope"] = scope,
    });
}
