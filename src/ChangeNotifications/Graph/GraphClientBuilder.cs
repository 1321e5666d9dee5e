using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using ChangeNotifications.GraphEmulator.Hosting;
using Microsoft.Graph;
using Microsoft.Graph.Authentication;

namespace ChangeNotifications.Graph;

/// <summary>
/// Builds the <see cref="GraphServiceClient"/> the service uses, the same way for Live and Emulator mode: the SDK's
/// middleware (retry with Retry-After, redirect, compression) from <see cref="GraphClientFactory"/>, and an
/// <see cref="AzureIdentityAuthenticationProvider"/> allowed to send tokens to the base URL's host — without
/// <c>allowedHosts</c> it silently sends none to any host but graph.microsoft.com (dotnet-libraries.md §7).
/// </summary>
public static class GraphClientBuilder
{
    public const string GraphScope = "https://graph.microsoft.com/.default";

    public static GraphServiceClient Create(Uri baseUrl, TokenCredential credential, HttpMessageHandler? finalHandler = null)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        var authentication = new AzureIdentityAuthenticationProvider(
            credential,
            allowedHosts: [baseUrl.Host],
            observabilityOptions: null,
            isCaeEnabled: false,
            scopes: GraphScope);
        var handlers = GraphClientFactory.CreateDefaultHandlers();
        var httpClient = finalHandler is null
            ? GraphClientFactory.Create(handlers)
            : GraphClientFactory.Create(handlers, finalHandler: finalHandler);
        return new GraphServiceClient(httpClient, authentication, baseUrl.AbsoluteUri.TrimEnd('/'));
    }

    /// <summary>
    /// The real <see cref="ClientSecretCredential"/> pointed at the emulator's token endpoint: its authority host,
    /// no instance discovery (offline), and a transport that trusts exactly the emulator's certificate.
    /// </summary>
    public static ClientSecretCredential CreateEmulatorCredential(GraphEmulatorServer emulator, string? clientSecret = null)
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
                Transport = new HttpClientTransport(new HttpClient(emulator.CreateTrustingHandler())),
            });
    }

    /// <summary>A client for the emulator: its base URL, the real client-secret credential, its certificate pinned.</summary>
    public static GraphServiceClient CreateForEmulator(GraphEmulatorServer emulator, TokenCredential? credential = null)
    {
        ArgumentNullException.ThrowIfNull(emulator);
        return Create(emulator.GraphBaseUrl, credential ?? CreateEmulatorCredential(emulator), emulator.CreateTrustingHandler());
    }
}
