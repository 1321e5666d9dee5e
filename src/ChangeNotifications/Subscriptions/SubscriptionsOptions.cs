using Microsoft.Extensions.Options;

namespace ChangeNotifications.Subscriptions;

/// <summary>Settings of section <c>Subscriptions</c>: the desired subscriptions and how they are kept alive.</summary>
internal sealed class SubscriptionsOptions
{
    public const string Section = "Subscriptions";

    /// <summary>
    /// Run the reconciler in this process (default). <c>false</c> makes a receiver-only instance: it accepts and
    /// handles notifications for the subscriptions in the store, and lifecycle events still act, but it creates,
    /// renews and deletes nothing on its own.
    /// </summary>
    public bool Reconcile { get; set; } = true;

    /// <summary>
    /// Where Graph posts change notifications (HTTPS; plain HTTP only on loopback, for the emulator). Required in Live
    /// mode; in Emulator mode it defaults to the service's own address + <c>/api/notifications</c>.
    /// </summary>
    public string? NotificationUrl { get; set; }

    /// <summary>Where Graph posts lifecycle events. Default: the notification URL's origin with <c>/api/lifecycle</c>.</summary>
    public string? LifecycleNotificationUrl { get; set; }

    /// <summary>Renew when this fraction of the subscription's lifetime has passed (0.5 = half-way).</summary>
    [SettingRange(0.05, 0.95, MinimumIsExclusive = true, MaximumIsExclusive = true, ErrorMessage = $"{Section}:RenewAtFraction is {{3}}; it must be between 0.05 and 0.95 of the lifetime.")]
    public double RenewAtFraction { get; set; } = 0.5;

    /// <summary>Spread of renewals, as a fraction of the lifetime either side of the renewal point.</summary>
    public double RenewJitterFraction { get; set; } = 0.05;

    /// <summary>How often desired state, store and Graph are compared.</summary>
    [SettingRange(typeof(TimeSpan), "00:00:10", SettingRangeAttribute.MaxTimeSpan, ErrorMessage = $"{Section}:ReconcileInterval is {{3}}; it must be at least 00:00:10.")]
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// With a shared store (several instances): how often an instance without the leader lease tries to take it, and
    /// how often the leader looks for lifecycle intentions other instances recorded. Bounds the takeover after a
    /// leader dies (this plus the moment PostgreSQL notices its connection is gone).
    /// </summary>
    [SettingRange(typeof(TimeSpan), "00:00:01", "00:05:00", ErrorMessage = $"{Section}:LeaseRetryInterval is {{3}}; it must be between 00:00:01 and 00:05:00.")]
    public TimeSpan LeaseRetryInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>First wait after a failed create/renew/reauthorize; doubled per failure, with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest wait between two attempts for one subscription.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Consecutive failures after which a subscription is reported as failing (health Degraded).</summary>
    [SettingRange(1, int.MaxValue, ErrorMessage = $"{Section}:FailuresBeforeDegraded is {{3}}; it must be at least 1.")]
    public int FailuresBeforeDegraded { get; set; } = 1;

    /// <summary>Kept off the maximum lifetime on every expiration, against clock skew with Graph.</summary>
    [SettingRange(typeof(TimeSpan), "00:00:00", "00:30:00", ErrorMessage = $"{Section}:ExpirationSafetyMargin is {{3}}; it must be between 0 and 00:30:00.")]
    public TimeSpan ExpirationSafetyMargin { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Overrides of the catalog's maximum lifetimes, by row name (<c>Message</c>, <c>MessageWithResourceData</c>, …).</summary>
    public Dictionary<string, TimeSpan> MaxLifetimes { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The subscriptions to keep.</summary>
    public List<SubscriptionItemOptions> Items { get; set; } = [];

    /// <summary>The lifecycle URL in effect.</summary>
    public string? EffectiveLifecycleNotificationUrl =>
        !string.IsNullOrWhiteSpace(LifecycleNotificationUrl) ? LifecycleNotificationUrl : DefaultLifecycleUrl(NotificationUrl);

    /// <summary>The notification URL's origin with <c>/api/lifecycle</c> (replacing a trailing <c>/api/notifications</c>).</summary>
    public static string? DefaultLifecycleUrl(string? notificationUrl)
    {
        if (!Uri.TryCreate(notificationUrl, UriKind.Absolute, out var uri))
        {
            return null;
        }

        const string notifications = "/api/notifications";
        var path = uri.AbsolutePath.TrimEnd('/');
        var lifecyclePath = path.EndsWith(notifications, StringComparison.OrdinalIgnoreCase)
            ? path[..^notifications.Length] + "/api/lifecycle"
            : "/api/lifecycle";
        return new UriBuilder(uri) { Path = lifecyclePath, Query = string.Empty }.Uri.ToString();
    }
}

/// <summary>One desired subscription (<c>Subscriptions:Items:{n}</c>).</summary>
internal sealed class SubscriptionItemOptions
{
    /// <summary>Graph resource path, e.g. <c>/users/{id}/messages</c>.</summary>
    public string? Resource { get; set; }

    /// <summary>Comma-separated change types, e.g. <c>created,updated</c>.</summary>
    public string? ChangeType { get; set; }

    public bool IncludeResourceData { get; set; }

    /// <summary>Lifetime asked of Graph on create and renew; default is the resource's maximum.</summary>
    public int? ExpirationMinutes { get; set; }

    /// <summary>OData filter for resources that take one (Universal Print).</summary>
    public string? NotificationQueryOptions { get; set; }
}

/// <summary>The simple bounds of <see cref="SubscriptionsOptions"/>, from its DataAnnotations attributes.</summary>
[OptionsValidator]
internal sealed partial class SubscriptionsOptionsBoundsValidator : IValidateOptions<SubscriptionsOptions>;
