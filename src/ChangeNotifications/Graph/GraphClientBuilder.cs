using Azure.Core;
using Microsoft.Graph;
using Microsoft.Graph.Authentication;

namespace ChangeNotifications.Graph;

/// <summary>
/// Builds the <see cref="GraphServiceClient"/> the service uses, the same way for Live and Emulator mode: the SDK's
/// middleware (retry with Retry-After, redirect, compression) from <see cref="GraphClientFactory"/>, and an
/// <see cref="AzureIdentityAuthenticationProvider"/> allowed to send tokens to the base URL's host — without
/// <c>allowedHosts</c> it silently sends none to any host but graph.microsoft.com. With <see cref="GraphCallMetrics"/>,
/// its counting handler goes last, next to the wire.
/// </summary>
internal static class GraphClientBuilder
{
    public const string GraphScope = "https://graph.microsoft.com/.default";

    public static GraphServiceClient Create(Uri baseUrl, TokenCredential credential, HttpMessageHandler? finalHandler = null, GraphCallMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        var authentication = new AzureIdentityAuthenticationProvider(
            credential,
            allowedHosts: [baseUrl.Host],
            observabilityOptions: null,
            isCaeEnabled: false,
            scopes: GraphScope);
        var handlers = GraphClientFactory.CreateDefaultHandlers();
        if (metrics is not null)
        {
            handlers.Add(metrics.CreateHandler());
        }

        var httpClient = finalHandler is null
            ? GraphClientFactory.Create(handlers)
            : GraphClientFactory.Create(handlers, finalHandler: finalHandler);
        return new GraphServiceClient(httpClient, authentication, baseUrl.AbsoluteUri.TrimEnd('/'));
    }
}
