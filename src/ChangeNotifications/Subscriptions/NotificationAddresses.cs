using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Subscriptions;

/// <summary>
/// The URLs Graph posts to: <c>Subscriptions:NotificationUrl</c> when configured; otherwise (Emulator mode, where Graph
/// runs on this machine) the service's own listening address, known once the server has bound its port.
/// </summary>
public sealed class NotificationAddresses(IOptions<SubscriptionsOptions> options, IServiceProvider services)
{
    private NotificationUrls? _resolved;

    public bool IsConfigured => !string.IsNullOrWhiteSpace(options.Value.NotificationUrl);

    /// <summary>The URLs, or null while the server has not bound its address yet.</summary>
    public NotificationUrls? Current => _resolved ??= Resolve();

    private NotificationUrls? Resolve()
    {
        var settings = options.Value;
        if (IsConfigured)
        {
            return new NotificationUrls(settings.NotificationUrl!, settings.EffectiveLifecycleNotificationUrl ?? settings.NotificationUrl!);
        }

        var addresses = services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses;
        var own = addresses?
            .Select(a => Uri.TryCreate(a.Replace("://+", "://127.0.0.1", StringComparison.Ordinal).Replace("://*", "://127.0.0.1", StringComparison.Ordinal), UriKind.Absolute, out var uri) ? uri : null)
            .Where(u => u is not null && u.Port > 0)
            .OrderBy(u => u!.Scheme == Uri.UriSchemeHttp ? 0 : 1)
            .FirstOrDefault();
        if (own is null)
        {
            return null;
        }

        var loopback = new UriBuilder(own) { Host = "127.0.0.1", Path = "/api/notifications" }.Uri.ToString();
        return new NotificationUrls(loopback, SubscriptionsOptions.DefaultLifecycleUrl(loopback)!);
    }
}

public sealed record NotificationUrls(string NotificationUrl, string LifecycleNotificationUrl);
