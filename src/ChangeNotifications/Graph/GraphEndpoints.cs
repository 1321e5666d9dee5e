namespace ChangeNotifications.Graph;

/// <summary>
/// Where Graph and its identity platform are for this run (Live: Microsoft's; Emulator: the emulator's loopback
/// addresses), and how to reach them (the emulator's self-signed certificate is pinned by <see cref="CreateHandler"/>).
/// </summary>
internal sealed class GraphEndpoints(Uri graphBaseUrl, Uri authorityHost, string tenantId, string? clientId, Func<HttpMessageHandler> createHandler)
{
    public Uri GraphBaseUrl { get; } = graphBaseUrl;

    public Uri AuthorityHost { get; } = authorityHost;

    public string TenantId { get; } = tenantId;

    /// <summary>The app (client) id; null in Live mode with a managed identity and no <c>Graph:ClientId</c>.</summary>
    public string? ClientId { get; } = clientId;

    /// <summary>OpenID metadata that lists the keys signing rich notifications' validation tokens.</summary>
    public Uri OpenIdConfigurationUrl => new(AuthorityHost, "common/.well-known/openid-configuration");

    /// <summary>A new handler for HttpClients that talk to these endpoints.</summary>
    public HttpMessageHandler CreateHandler() => createHandler();
}
