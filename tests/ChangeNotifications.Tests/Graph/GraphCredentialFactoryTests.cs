using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
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

    private static GraphOptions Live(Action<GraphOptions> credential)
    {
        var options = new GraphOptions { Mode = GraphMode.Live, TenantId = Guid.NewGuid().ToString(), ClientId = Guid.NewGuid().ToString() };
        credential(options);
        return options;
    }
}
