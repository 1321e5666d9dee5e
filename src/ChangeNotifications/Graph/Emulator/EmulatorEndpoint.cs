using System.Net.Security;
using System.Security.Cryptography;
using ChangeNotifications.GraphEmulator.Hosting;
using ChangeNotifications.GraphEmulator.Tenant;

namespace ChangeNotifications.Graph.Emulator;

/// <summary>
/// Where the emulator Emulator mode talks to is and how to reach it: the one this process started, or one running in a
/// process of its own (<c>Graph:Emulator:Url</c>) that several instances share, its self-signed certificate pinned by
/// its SHA-256.
/// </summary>
internal sealed class EmulatorEndpoint(Uri baseAddress, string tenantId, string clientId, string clientSecret, Func<HttpMessageHandler> createHandler)
{
    public Uri BaseAddress { get; } = baseAddress;

    public Uri GraphBaseUrl => new(BaseAddress, "v1.0");

    public Uri AuthorityHost => BaseAddress;

    public string TenantId { get; } = tenantId;

    public string ClientId { get; } = clientId;

    public string ClientSecret { get; } = clientSecret;

    /// <summary>A new handler that trusts exactly the emulator's certificate.</summary>
    public HttpMessageHandler CreateHandler() => createHandler();

    public static EmulatorEndpoint Of(GraphEmulatorServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        return new(server.BaseAddress, server.TenantId, server.ClientId, server.ClientSecret, server.CreateTrustingHandler);
    }

    /// <summary>An emulator started on its own (it prints its address and its certificate's SHA-256), with the seeded app's secret.</summary>
    public static EmulatorEndpoint Remote(Uri url, string certificateSha256, string? tenantId, string? clientId)
    {
        ArgumentNullException.ThrowIfNull(url);
        var expected = Convert.FromHexString(certificateSha256);
        var baseAddress = url.AbsoluteUri.EndsWith('/') ? url : new Uri(url.AbsoluteUri + "/");
        return new(
            baseAddress,
            string.IsNullOrWhiteSpace(tenantId) ? SeedIds.TenantId : tenantId,
            string.IsNullOrWhiteSpace(clientId) ? SeedIds.ClientId : clientId,
            SeedIds.ClientSecret,
            () => new SocketsHttpHandler
            {
                SslOptions = new SslClientAuthenticationOptions
                {
                    RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                        certificate is not null
                        && CryptographicOperations.FixedTimeEquals(certificate.GetCertHash(HashAlgorithmName.SHA256), expected),
                },
            });
    }
}
