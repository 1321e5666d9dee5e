using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace ChangeNotifications.Graph.Emulator;

/// <summary>
/// Emulator mode without a configured notification URL: Graph runs on this machine, so it posts to the service's
/// own listening address.
/// </summary>
internal static class OwnNotificationAddress
{
    /// <summary>The loopback URL of <c>/api/notifications</c> on the server's bound address (http first), or null before it has bound one.</summary>
    public static string? Resolve(IServer? server)
    {
        var addresses = server?.Features.Get<IServerAddressesFeature>()?.Addresses;
        var own = addresses?
            .Select(a => Uri.TryCreate(a.Replace("://+", "://127.0.0.1", StringComparison.Ordinal).Replace("://*", "://127.0.0.1", StringComparison.Ordinal), UriKind.Absolute, out var uri) ? uri : null)
            .Where(u => u is not null && u.Port > 0)
            .OrderBy(u => u!.Scheme == Uri.UriSchemeHttp ? 0 : 1)
            .FirstOrDefault();
        return own is null ? null : new UriBuilder(own) { Host = "127.0.0.1", Path = "/api/notifications" }.Uri.ToString();
    }
}
