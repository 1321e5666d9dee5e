using Azure.Core;
using Azure.Identity;
using Microsoft.Identity.Web;

namespace ChangeNotifications.Graph;

/// <summary>The Live-mode credential named by section <c>Graph</c>: client secret, client certificate or managed identity.</summary>
internal static class GraphCredentialFactory
{
    public static TokenCredential CreateLive(GraphOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var authority = options.AuthorityHost ?? AzureAuthorityHosts.AzurePublicCloud;
        if (!string.IsNullOrWhiteSpace(options.ClientSecret))
        {
            return new ClientSecretCredential(options.TenantId, options.ClientId, options.ClientSecret, new ClientSecretCredentialOptions { AuthorityHost = authority });
        }

        if (options.ClientCertificate is { } description)
        {
            var certificate = DefaultCertificateLoader.LoadFirstCertificate([description])
                ?? throw new InvalidOperationException($"{GraphOptions.Section}:ClientCertificate: no certificate with a private key could be loaded from {description.SourceType}.");
            return new ClientCertificateCredential(options.TenantId, options.ClientId, certificate, new ClientCertificateCredentialOptions { AuthorityHost = authority, SendCertificateChain = true });
        }

        return new ManagedIdentityCredential(string.IsNullOrWhiteSpace(options.ManagedIdentityClientId)
            ? ManagedIdentityId.SystemAssigned
            : ManagedIdentityId.FromUserAssignedClientId(options.ManagedIdentityClientId));
    }
}
