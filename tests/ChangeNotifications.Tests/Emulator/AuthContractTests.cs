using Azure.Core;
using Azure.Identity;
using ChangeNotifications.Graph;
using ChangeNotifications.Graph.Emulator;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.Graph;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Kiota.Abstractions.Authentication;

namespace ChangeNotifications.Tests.Emulator;

/// <summary>The token endpoint and the bearer-token check of the Graph API.</summary>
public sealed class AuthContractTests(EmulatorFixture emulator) : IClassFixture<EmulatorFixture>
{
    [Fact]
    public async Task Client_secret_credential_gets_a_token_that_graph_accepts()
    {
        var page = await emulator.Graph.Subscriptions.GetAsync();

        Assert.NotNull(page?.Value);
    }

    [Fact]
    public async Task Wrong_client_secret_is_refused_as_entra_does()
    {
        var credential = EmulatorGraphClient.CreateCredential(emulator.Server, clientSecret: "not-the-secret");

        var error = await Assert.ThrowsAsync<AuthenticationFailedException>(() =>
            credential.GetTokenAsync(new TokenRequestContext([GraphClientBuilder.GraphScope]), CancellationToken.None).AsTask());

        Assert.Contains("AADSTS7000215", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_endpoint_answers_401_invalid_client_for_a_wrong_secret()
    {
        var (status, body) = await RequestTokenAsync(emulator.Server.ClientId, "wrong");

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, status);
        Assert.Contains("\"error\":\"invalid_client\"", body, StringComparison.Ordinal);
        Assert.Contains("\"error_codes\":[7000215]", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_client_is_refused_with_400_unauthorized_client()
    {
        var (status, body) = await RequestTokenAsync(Guid.NewGuid().ToString(), emulator.Server.ClientSecret);

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, status);
        Assert.Contains("\"error\":\"unauthorized_client\"", body, StringComparison.Ordinal);
        Assert.Contains("AADSTS700016", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Graph_request_without_a_token_is_401()
    {
        using var http = GraphClientFactory.Create(GraphClientFactory.CreateDefaultHandlers(), finalHandler: emulator.Server.CreateTrustingHandler());
        using var anonymous = new GraphServiceClient(http, new AnonymousAuthenticationProvider(), emulator.Server.GraphBaseUrl.ToString());

        var error = await Assert.ThrowsAsync<ODataError>(() => anonymous.Subscriptions.GetAsync());

        Assert.Equal(401, error.ResponseStatusCode);
        Assert.Equal("InvalidAuthenticationToken", error.Error!.Code);
        Assert.Equal("Access token is empty.", error.Error.Message);
    }

    [Fact]
    public async Task Graph_request_with_a_forged_token_is_401()
    {
        var forged = DelegatedTokenCredential.Create((_, _) => new AccessToken("forged", DateTimeOffset.UtcNow.AddHours(1)));
        using var graph = emulator.CreateGraphClient(forged);

        var error = await Assert.ThrowsAsync<ODataError>(() => graph.Subscriptions.GetAsync());

        Assert.Equal(401, error.ResponseStatusCode);
        Assert.Equal("InvalidAuthenticationToken", error.Error!.Code);
    }

    [Fact]
    public async Task Expired_tokens_are_refused_until_a_new_one_is_fetched()
    {
        await using var own = await EmulatorFixture.StartAsync();
        await own.Graph.Subscriptions.GetAsync();

        Assert.True(own.Control.ExpireAccessTokens() >= 1);
        var error = await Assert.ThrowsAsync<ODataError>(() => own.Graph.Subscriptions.GetAsync());
        using var fresh = own.CreateGraphClient();
        var page = await fresh.Subscriptions.GetAsync();

        Assert.Equal(401, error.ResponseStatusCode);
        Assert.Equal("Lifetime validation failed, the token is expired.", error.Error!.Message);
        Assert.NotNull(page?.Value);
    }

    private async Task<(System.Net.HttpStatusCode Status, string Body)> RequestTokenAsync(string clientId, string clientSecret)
    {
        using var http = emulator.CreateHttpClient();
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["client_secret"] = clientSecret,
            ["scope"] = GraphClientBuilder.GraphScope,
        });
        using var response = await http.PostAsync(new Uri(emulator.Server.AuthorityHost, $"{emulator.Server.TenantId}/oauth2/v2.0/token"), form);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
