using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using ChangeNotifications.GraphEmulator.Hosting;
using Microsoft.Graph;

namespace ChangeNotifications.Graph.Emulator;

/// <summary>The Graph client and credential for the emulator: the same SDK pieces as Live mode, pointed at its addresses.</summary>
internal static class EmulatorGraphClient
{
    /// <summary>
    /// The real <see cref="ClientSecretCredential"/> pointed at the emulator's token endpoint: its authority host,
    /// no instance discovery (offline), and a transport that trusts exactly the emulator's certificate.
    /// </summary>
    public static ClientSecretCredential CreateCredential(GraphEmulatorServer emulator, string? clientSecret = null) =>
        CreateCredential(EmulatorEndpoint.Of(emulator), clientSecret);

    /// <inheritdoc cref="CreateCredential(GraphEmulatorServer, string?)"/>
    public static ClientSecretCredential CreateCredential(EmulatorEndpoint emulator, string? clientSecret = null)
    {
        ArgumentNullException.ThrowIfNull(emulator);
        return new ClientSecretCredential(
            emulator.TenantId,
            emulator.ClientId,
            clientSecret ?? emulator.ClientSecret,
            new ClientSecretCredentialOptions
            {
                AuthorityHost = emulator.AuthorityHost,
                DisableInstanceDiscovery = true,
                Transport = new HttpClientTransport(new HttpClient(emulator.CreateHandler())),
            });
    }

    /// <summary>A client for the emulator: its base URL, the real client-secret credential, its certificate pinned.</summary>
    public static GraphServiceClient Create(GraphEmulatorServer emulator, TokenCredential? credential = null, GraphCallMetrics? metrics = null) =>
        Create(EmulatorEndpoint.Of(emulator), credential, metrics);

    /// <inheritdoc cref="Create(GraphEmulatorServer, TokenCredential?, GraphCallMetrics?)"/>
    public static GraphServiceClient Create(EmulatorEndpoint emulator, TokenCredential? credential = null, GraphCallMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(emulator);
        return GraphClientBuilder.Create(emulator.GraphBaseUrl, credential ?? CreateCredential(emulator), emulator.CreateHandler(), metrics);
    }
}
