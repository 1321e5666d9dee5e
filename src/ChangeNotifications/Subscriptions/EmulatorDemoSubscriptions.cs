using ChangeNotifications.Graph;
using ChangeNotifications.GraphEmulator.Tenant;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Subscriptions;

/// <summary>
/// The one-command run's subscriptions: one of each of the 14 resource types, on the ids the emulator seeds. They apply
/// in Emulator mode only, and only when no <c>Subscriptions:Items</c> are configured: a configured list (from settings
/// files or <c>Subscriptions__Items__{n}__…</c> environment variables), and every Live deployment, has exactly its own
/// items, never these merged into it by index.
/// </summary>
internal static class EmulatorDemoSubscriptions
{
    public static IReadOnlyList<SubscriptionItemOptions> Items { get; } =
    [
        new() { Resource = $"/print/printers/{SeedIds.PrinterId}/jobs", ChangeType = "updated", NotificationQueryOptions = "$filter=isFetchable eq true" },
        new() { Resource = $"/print/taskDefinitions/{SeedIds.PrintTaskDefinitionId}/tasks", ChangeType = "created" },
        new() { Resource = $"/users/{SeedIds.UserId}/mailFolders('inbox')/messages", ChangeType = "created,updated,deleted" },
        new() { Resource = $"/users/{SeedIds.UserId}/events", ChangeType = "created,updated,deleted" },
        new() { Resource = $"/users/{SeedIds.UserId}/contacts", ChangeType = "created,updated,deleted" },
        new() { Resource = "/users", ChangeType = "updated,deleted" },
        new() { Resource = $"/groups/{SeedIds.GroupId}/members", ChangeType = "updated,deleted" },
        new() { Resource = $"/groups/{SeedIds.GroupId}/conversations", ChangeType = "created" },
        new() { Resource = $"/users/{SeedIds.UserId}/drive/root", ChangeType = "updated" },
        new() { Resource = $"/drives/{SeedIds.DriveId}/root", ChangeType = "updated" },
        new() { Resource = $"/sites/{SeedIds.SiteId}/lists/{SeedIds.ListId}", ChangeType = "updated" },
        new() { Resource = "/security/alerts", ChangeType = "created,updated" },
        new() { Resource = "/communications/callRecords", ChangeType = "created" },
        new() { Resource = $"/teams/{SeedIds.TeamId}/channels/{SeedIds.ChannelId}/messages", ChangeType = "created,updated", IncludeResourceData = true },
    ];

    /// <summary>Adds <see cref="Items"/> to <c>Subscriptions</c> in Emulator mode when none are configured (before validation).</summary>
    public static IServiceCollection AddEmulatorDemoSubscriptions(this IServiceCollection services)
    {
        services.AddOptions<SubscriptionsOptions>().PostConfigure<IOptions<GraphOptions>>((subscriptions, graph) =>
        {
            if (graph.Value.Mode == GraphMode.Emulator && subscriptions.Items.Count == 0)
            {
                subscriptions.Items.AddRange(Items.Select(Copy));
            }
        });
        return services;
    }

    private static SubscriptionItemOptions Copy(SubscriptionItemOptions item) => new()
    {
        Resource = item.Resource,
        ChangeType = item.ChangeType,
        IncludeResourceData = item.IncludeResourceData,
        ExpirationMinutes = item.ExpirationMinutes,
        NotificationQueryOptions = item.NotificationQueryOptions,
    };
}
