using ChangeNotifications.Graph.Emulator;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Subscriptions;

/// <summary>
/// The URLs Graph posts to: <c>Subscriptions:NotificationUrl</c> when configured; otherwise (Emulator mode, where Graph
/// runs on this machine) the service's own listening address, known once the server has bound its port.
/// </summary>
internal sealed class NotificationAddresses(IOptions<SubscriptionsOptions> options, IServiceProvider services)
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

        var own = OwnNotificationAddress.Resolve(services.GetService<IServer>());
        return own is null ? null : new NotificationUrls(own, SubscriptionsOptions.DefaultLifecycleUrl(own)!);
    }
}

internal sealed record NotificationUrls(string NotificationUrl, string LifecycleNotificationUrl);
