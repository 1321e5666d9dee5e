using System.Globalization;
using System.Net;
using ChangeNotifications.Resources;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Subscriptions;

/// <summary>
/// Checks <c>Subscriptions</c> at start-up against the <see cref="ResourceCatalog"/>; every message names
/// the setting (<c>Subscriptions:Items:3:ChangeType ...</c>). The service signs in to Graph app-only
/// (client secret, certificate or managed identity), so <c>/me/...</c> paths are refused. Simple bounds are the
/// attributes' (<see cref="SubscriptionsOptionsBoundsValidator"/>).
/// </summary>
internal sealed class SubscriptionsOptionsValidator(IConfiguration? configuration = null) : IValidateOptions<SubscriptionsOptions>
{
    /// <summary>Graph raises an expiration less than 45 minutes away to 45 minutes.</summary>
    public static readonly TimeSpan MinimumLifetime = TimeSpan.FromMinutes(45);

    private const string S = SubscriptionsOptions.Section;
    private readonly SubscriptionsOptionsBoundsValidator _bounds = new();

    public ValidateOptionsResult Validate(string? name, SubscriptionsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (_bounds.Validate(name, options) is { Failed: true } bounds)
        {
            errors.AddRange(bounds.Failures);
        }

        ValidateTiming(options, errors);
        foreach (var (key, value) in options.MaxLifetimes)
        {
            if (!ResourceCatalog.OverrideNames.Contains(key))
            {
                errors.Add($"{S}:MaxLifetimes:{key} names no resource of the catalog; use one of: {string.Join(", ", ResourceCatalog.OverrideNames.Order(StringComparer.Ordinal))}.");
            }
            else if (value < MinimumLifetime)
            {
                errors.Add($"{S}:MaxLifetimes:{key} is {value}; it must be at least {MinimumLifetime} (Graph's floor).");
            }
        }

        if (options.Items.Count > 0)
        {
            // In Emulator mode Graph runs on this machine and the service's own address serves; Live Graph needs a public URL.
            ValidateUrl($"{S}:NotificationUrl", options.NotificationUrl, required: IsLiveMode, errors);
            ValidateUrl(
                string.IsNullOrWhiteSpace(options.LifecycleNotificationUrl) ? $"{S}:LifecycleNotificationUrl (default from NotificationUrl)" : $"{S}:LifecycleNotificationUrl",
                options.EffectiveLifecycleNotificationUrl,
                required: !string.IsNullOrWhiteSpace(options.NotificationUrl),
                errors);
        }

        var catalog = new ResourceCatalog(options.MaxLifetimes);
        var keys = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < options.Items.Count; i++)
        {
            ValidateItem(i, options.Items[i], catalog, keys, errors);
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidateTiming(SubscriptionsOptions options, List<string> errors)
    {
        var room = Math.Min(options.RenewAtFraction, 1 - options.RenewAtFraction) / 2;
        if (options.RenewJitterFraction < 0 || options.RenewJitterFraction > room)
        {
            errors.Add($"{S}:RenewJitterFraction is {options.RenewJitterFraction.ToString(CultureInfo.InvariantCulture)}; it must be between 0 and {room.ToString(CultureInfo.InvariantCulture)} so renewals stay well before expiry.");
        }

        if (options.RetryBaseDelay <= TimeSpan.Zero || options.RetryMaxDelay < options.RetryBaseDelay)
        {
            errors.Add($"{S}:RetryBaseDelay/RetryMaxDelay are {options.RetryBaseDelay}/{options.RetryMaxDelay}; the base must be positive and not above the maximum.");
        }
    }

    private static void ValidateItem(int index, SubscriptionItemOptions item, ResourceCatalog catalog, Dictionary<string, int> keys, List<string> errors)
    {
        var prefix = $"{S}:Items:{index}";
        if (string.IsNullOrWhiteSpace(item.Resource))
        {
            errors.Add($"{prefix}:Resource is missing: give a Graph resource path such as /users/{{id}}/messages.");
            return;
        }

        var path = ResourcePath.Parse(item.Resource);
        if (path.IsMe)
        {
            errors.Add($"{prefix}:Resource '{item.Resource}' uses /me, which works with delegated permissions only; this service signs in app-only: write /users/{{id}}/... instead.");
            return;
        }

        var entry = catalog.Find(path);
        if (entry is null)
        {
            errors.Add($"{prefix}:Resource '{item.Resource}' is not a path Graph supports change notifications for{DriveHint(path)}. Supported: {string.Join("; ", catalog.Entries.Select(e => e.PathExamples))}.");
            return;
        }

        var changeTypes = DesiredSubscription.SplitChangeTypes(item.ChangeType);
        if (changeTypes.Count == 0)
        {
            errors.Add($"{prefix}:ChangeType is missing; {entry.Name} allows: {string.Join(", ", entry.AllowedChangeTypes)}.");
        }

        var refused = changeTypes.Where(c => !entry.AllowedChangeTypes.Contains(c)).ToList();
        if (refused.Count > 0)
        {
            errors.Add($"{prefix}:ChangeType '{string.Join(',', refused)}' is not allowed for {entry.Name} ('{item.Resource}'); allowed: {string.Join(", ", entry.AllowedChangeTypes)}.");
        }

        if (item.IncludeResourceData && !entry.SupportsResourceData)
        {
            errors.Add($"{prefix}:IncludeResourceData is true but {entry.Name} does not support rich notifications (resource data); set it to false.");
        }

        var max = entry.MaxLifetimeFor(item.IncludeResourceData);
        if (item.ExpirationMinutes is { } minutes)
        {
            if (minutes > max.TotalMinutes)
            {
                errors.Add($"{prefix}:ExpirationMinutes {minutes} is past the maximum of {max.TotalMinutes.ToString(CultureInfo.InvariantCulture)} minutes for {entry.Name}{(item.IncludeResourceData ? " with resource data" : string.Empty)}.");
            }
            else if (minutes < MinimumLifetime.TotalMinutes)
            {
                errors.Add($"{prefix}:ExpirationMinutes {minutes} is below Graph's floor of {MinimumLifetime.TotalMinutes.ToString(CultureInfo.InvariantCulture)} minutes.");
            }
        }

        var key = DesiredSubscription.KeyFor(path, item.ChangeType ?? string.Empty);
        if (keys.TryGetValue(key, out var first))
        {
            errors.Add($"{prefix} repeats {S}:Items:{first} (same resource and change types); Graph would refuse the duplicate (409).");
        }
        else
        {
            keys[key] = index;
        }
    }

    private bool IsLiveMode =>
        string.Equals(configuration?["Graph:Mode"], "Live", StringComparison.OrdinalIgnoreCase);

    private static string DriveHint(ResourcePath path) =>
        path.Segments.Count > 0 && path.Segments[0] == "drives"
            ? " (OneDrive for Business allows the drive's root only: /drives/{id}/root)"
            : string.Empty;

    private static void ValidateUrl(string setting, string? value, bool required, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required)
            {
                errors.Add($"{setting} is missing: in Live mode Graph needs the public HTTPS URL of this service's /api/notifications.");
            }

            return;
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            errors.Add($"{setting} '{value}' is not an absolute HTTPS URL.");
            return;
        }

        if (uri.Scheme == Uri.UriSchemeHttp && !IsLoopback(uri))
        {
            errors.Add($"{setting} '{value}' must use HTTPS (Graph refuses plain HTTP; only loopback is allowed, for the emulator).");
        }

        if (!string.IsNullOrEmpty(uri.Fragment))
        {
            errors.Add($"{setting} '{value}' must not have a fragment.");
        }
    }

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
