using ChangeNotifications.Resources;

namespace ChangeNotifications.Subscriptions;

/// <summary>
/// One configured subscription, checked against the catalog: what the reconciler keeps alive.
/// <see cref="Key"/> is stable across restarts and recreations (normalized resource + change types).
/// </summary>
internal sealed record DesiredSubscription(
    string Key,
    string Resource,
    ResourcePath Path,
    string ChangeType,
    bool IncludeResourceData,
    TimeSpan Lifetime,
    TimeSpan MaxLifetime,
    string? NotificationQueryOptions,
    ResourceCatalogEntry Entry)
{
    public static string KeyFor(ResourcePath path, string changeType)
    {
        ArgumentNullException.ThrowIfNull(path);
        var query = path.Query is null ? string.Empty : "?" + path.Query;
        return $"{path.Normalized}{query}|{NormalizeChangeType(changeType)}".ToLowerInvariant();
    }

    /// <summary><c>Updated, created</c> → <c>created,updated</c>: order and case do not matter to Graph.</summary>
    public static string NormalizeChangeType(string? changeType) =>
        string.Join(',', SplitChangeTypes(changeType).Order(StringComparer.Ordinal));

    public static IReadOnlyList<string> SplitChangeTypes(string? changeType) =>
        (changeType ?? string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(c => c.ToLowerInvariant())
            .Distinct(StringComparer.Ordinal)
            .ToList();

    /// <summary>True when a subscription Graph reports is this one (same resource and change types).</summary>
    public bool Matches(string? resource, string? changeType) =>
        resource is not null &&
        string.Equals(KeyFor(ResourcePath.Parse(resource), changeType ?? string.Empty), Key, StringComparison.Ordinal);

    /// <summary>The desired subscriptions of valid options (the validator has run at start-up).</summary>
    public static IReadOnlyList<DesiredSubscription> FromOptions(SubscriptionsOptions options, ResourceCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(catalog);
        var result = new List<DesiredSubscription>();
        foreach (var item in options.Items)
        {
            var path = ResourcePath.Parse(item.Resource ?? string.Empty);
            var entry = catalog.Find(path)
                ?? throw new InvalidOperationException($"Subscriptions: resource '{item.Resource}' is not in the catalog.");
            var resource = WithResourceDataSelect(item.Resource!.Trim(), path, item.IncludeResourceData, entry);
            path = ResourcePath.Parse(resource);
            var max = entry.MaxLifetimeFor(item.IncludeResourceData);
            var lifetime = item.ExpirationMinutes is { } minutes ? TimeSpan.FromMinutes(minutes) : max;
            result.Add(new DesiredSubscription(
                KeyFor(path, item.ChangeType ?? string.Empty),
                resource,
                path,
                NormalizeChangeType(item.ChangeType),
                item.IncludeResourceData,
                lifetime < max ? lifetime : max,
                max,
                string.IsNullOrWhiteSpace(item.NotificationQueryOptions) ? entry.DefaultNotificationQueryOptions : item.NotificationQueryOptions,
                entry));
        }

        return result;
    }

    /// <summary>Outlook with resource data: appends the catalog's <c>$select</c> when the configured resource has none.</summary>
    private static string WithResourceDataSelect(string resource, ResourcePath path, bool includeResourceData, ResourceCatalogEntry entry)
    {
        if (!includeResourceData || entry.ResourceDataSelect is not { } select ||
            (path.Query ?? string.Empty).Split('&').Any(p => p.StartsWith("$select=", StringComparison.OrdinalIgnoreCase)))
        {
            return resource;
        }

        return string.IsNullOrEmpty(path.Query)
            ? resource.TrimEnd('?') + "?$select=" + select
            : resource + "&$select=" + select;
    }
}
