using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Azure.Core;
using Azure.Identity;
using ChangeNotifications.Graph;
using Microsoft.Identity.Web;

namespace ChangeNotifications.Tests.Graph;

/// <summary>Live mode builds the credential the settings name.</summary>
public sealed class GraphCredentialFactoryTests
{
    [Fact]
    public void Client_secret_gives_a_client_secret_credential()
    {
        var credential = GraphCredentialFactory.CreateLive(Live(o => o.ClientSecret = "secret"));

        Assert.IsType<ClientSecretCredential>(credential);
    }

    [Fact]
    public void Certificate_description_is_loaded_into_a_client_certificate_credential()
    {
        using var rsa = RSA.Create(2048);
        using var certificate = new CertificateRequest("CN=graph client", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var description = new CertificateDescription
        {
            SourceType = CertificateSource.Base64Encoded,
            Base64EncodedValue = Convert.ToBase64String(certificate.Export(X509ContentType.Pkcs12)),
        };

        var credential = GraphCredentialFactory.CreateLive(Live(o => o.ClientCertificate = description));

        Assert.IsType<ClientCertificateCredential>(credential);
    }

    [Fact]
    public void Managed_identity_gives_a_managed_identity_credential()
    {
        var credential = GraphCredentialFactory.CreateLive(Live(o =>
        {
            o.ManagedIdentity = true;
            o.ManagedIdentityClientId = Guid.NewGuid().ToString();
        }));

        Assert.IsType<ManagedIdentityCredential>(credential);
    }

    /// <summary>
    /// On App Service and Container Apps the platform's identity endpoint (IDENTITY_ENDPOINT with IDENTITY_HEADER) issues
    /// the managed identity's tokens: a loopback stand-in for it shows which identity the credential asks for.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Managed_identity_asks_the_hosts_identity_endpoint_for_the_configured_identity(bool userAssigned)
    {
        var userAssignedId = userAssigned ? Guid.NewGuid().ToString() : null;
        await using var endpoint = await IdentityEndpoint.StartAsync();
        var credential = GraphCredentialFactory.CreateLive(Live(o =>
        {
            o.ClientId = null;
            o.ManagedIdentity = true;
            o.ManagedIdentityClientId = userAssignedId;
        }));

        var token = await endpoint.WithAppServiceEnvironmentAsync(() =>
            credential.GetTokenAsync(new TokenRequestContext(["https://graph.microsoft.com/.default"]), CancellationToken.None).AsTask());

        var request = Assert.Single(endpoint.Requests);
        Assert.Equal(IdentityEndpoint.AccessToken, token.Token);
        Assert.Equal("https://graph.microsoft.com", request.Query["resource"]);
        Assert.Equal(userAssignedId, request.Query.GetValueOrDefault("client_id").SingleOrDefault());
        Assert.Equal(endpoint.Header, request.Header);
    }

    private static GraphOptions Live(Action<GraphOptions> credential)
    {
        var options = new GraphOptions { Mode = GraphMode.Live, TenantId = Guid.NewGuid().ToString(), ClientId = Guid.NewGuid().ToString() };
        credential(options);
        return options;
    }
}
