namespace ChangeNotifications.Resources;

/// <summary>
/// One row of Graph's table of supported change-notification resources: what a subscription on it may ask
/// for (Graph docs, "change-notifications-overview": the table of supported resources).
/// </summary>
internal sealed record ResourceCatalogEntry
{
    /// <summary>The row's name, also the key of <c>Subscriptions:MaxLifetimes</c> overrides.</summary>
    public required string Name { get; init; }

    public required ResourceType ResourceType { get; init; }

    /// <summary>The longest expiration Graph accepts for a basic subscription.</summary>
    public required TimeSpan MaxLifetime { get; init; }

    /// <summary>The longest expiration with <c>includeResourceData</c>; null when rich notifications are not supported.</summary>
    public TimeSpan? MaxLifetimeWithResourceData { get; init; }

    public required IReadOnlySet<string> AllowedChangeTypes { get; init; }

    /// <summary>Teams resources need a <c>lifecycleNotificationUrl</c> when the expiration is further out than this.</summary>
    public TimeSpan? LifecycleUrlRequiredBeyond { get; init; }

    /// <summary>The OData filter Graph expects on this resource when none is configured (Universal Print printers).</summary>
    public string? DefaultNotificationQueryOptions { get; init; }

    /// <summary>
    /// The <c>$select</c> added to the resource of a subscription with <c>includeResourceData</c> when it names none:
    /// Outlook sends resource data only for the properties selected. Null: no <c>$select</c> needed.
    /// </summary>
    public string? ResourceDataSelect { get; init; }

    /// <summary>The paths this row accepts, as documentation for error messages.</summary>
    public required string PathExamples { get; init; }

    public bool SupportsResourceData => MaxLifetimeWithResourceData is not null;

    /// <summary>The maximum lifetime that applies to a subscription with or without resource data.</summary>
    public TimeSpan MaxLifetimeFor(bool includeResourceData) =>
        includeResourceData && MaxLifetimeWithResourceData is { } rich ? rich : MaxLifetime;
}

/// <summary>
/// The 14 rows of Graph's table of supported resources with their limits. driveItem has two rows:
/// OneDrive personal (<c>/users/{id}/drive/root</c>, any folder) and OneDrive for Business
/// (<c>/drives/{id}/root</c>, the root only). Maximum lifetimes drift (Outlook went from 4,230 to 10,080
/// minutes): each can be overridden in <c>Subscriptions:MaxLifetimes:{Name}</c> (or <c>{Name}WithResourceData</c>).
/// </summary>
internal sealed class ResourceCatalog
{
    public const string WithResourceDataSuffix = "WithResourceData";

    private static readonly string[] AllChanges = ["created", "updated", "deleted"];

    private readonly Dictionary<ResourceType, ResourceCatalogEntry> _byType;
    private readonly ResourceCatalogEntry _driveItemBusiness;

    public ResourceCatalog(IReadOnlyDictionary<string, TimeSpan>? maxLifetimeOverrides = null)
    {
        var entries = DefaultEntries().Select(entry => ApplyOverrides(entry, maxLifetimeOverrides)).ToList();
        Entries = entries;
        _byType = entries.Where(e => e.Name != DriveItemBusiness).ToDictionary(e => e.ResourceType);
        _driveItemBusiness = entries.Single(e => e.Name == DriveItemBusiness);
    }

    public const string DriveItemPersonal = "DriveItemPersonal";
    public const string DriveItemBusiness = "DriveItemBusiness";

    public IReadOnlyList<ResourceCatalogEntry> Entries { get; }

    /// <summary>The names an override in <c>Subscriptions:MaxLifetimes</c> may use.</summary>
    public static IReadOnlySet<string> OverrideNames { get; } = DefaultEntries()
        .SelectMany(e => e.SupportsResourceData ? new[] { e.Name, e.Name + WithResourceDataSuffix } : [e.Name])
        .ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>The row for a subscription's resource path, or null when Graph cannot subscribe to it.</summary>
    public ResourceCatalogEntry? Find(ResourcePath path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var type = ResourceTypeResolver.Resolve(path);
        if (type == ResourceType.Unknown)
        {
            return null;
        }

        if (type != ResourceType.DriveItem)
        {
            return _byType[type];
        }

        // OneDrive for Business: only the root of a drive; OneDrive personal: any folder under the user's drive.
        var segments = path.Segments;
        if (segments[0] == "drives")
        {
            return segments.Count == 3 && segments[2] == "root" ? _driveItemBusiness : null;
        }

        return _byType[ResourceType.DriveItem];
    }

    private static ResourceCatalogEntry ApplyOverrides(ResourceCatalogEntry entry, IReadOnlyDictionary<string, TimeSpan>? overrides)
    {
        if (overrides is null || overrides.Count == 0)
        {
            return entry;
        }

        var plain = overrides.FirstOrDefault(o => string.Equals(o.Key, entry.Name, StringComparison.OrdinalIgnoreCase));
        var rich = overrides.FirstOrDefault(o => string.Equals(o.Key, entry.Name + WithResourceDataSuffix, StringComparison.OrdinalIgnoreCase));
        return entry with
        {
            MaxLifetime = plain.Key is null ? entry.MaxLifetime : plain.Value,
            MaxLifetimeWithResourceData = rich.Key is null || !entry.SupportsResourceData ? entry.MaxLifetimeWithResourceData : rich.Value,
        };
    }

    private static IEnumerable<ResourceCatalogEntry> DefaultEntries()
    {
        static HashSet<string> Changes(params string[] types) => new(types, StringComparer.OrdinalIgnoreCase);
        var outlook = TimeSpan.FromMinutes(10_080);
        var outlookRich = TimeSpan.FromMinutes(1_440);
        var fourThousand = TimeSpan.FromMinutes(4_230);
        var directory = TimeSpan.FromMinutes(41_760);
        var files = TimeSpan.FromMinutes(42_300);
        var teams = TimeSpan.FromMinutes(4_320);

        yield return new() { Name = "Printer", ResourceType = ResourceType.Printer, MaxLifetime = fourThousand, AllowedChangeTypes = Changes("updated"), DefaultNotificationQueryOptions = "$filter=isFetchable eq true", PathExamples = "/print/printers/{id}/jobs" };
        yield return new() { Name = "PrintTaskDefinition", ResourceType = ResourceType.PrintTaskDefinition, MaxLifetime = fourThousand, AllowedChangeTypes = Changes("created"), PathExamples = "/print/taskDefinitions/{id}/tasks" };
        yield return new() { Name = "Message", ResourceType = ResourceType.Message, MaxLifetime = outlook, MaxLifetimeWithResourceData = outlookRich, AllowedChangeTypes = Changes(AllChanges), ResourceDataSelect = "id,subject,from,receivedDateTime,hasAttachments,importance,isRead", PathExamples = "/users/{id}/messages, /users/{id}/mailFolders('inbox')/messages" };
        yield return new() { Name = "Event", ResourceType = ResourceType.Event, MaxLifetime = outlook, MaxLifetimeWithResourceData = outlookRich, AllowedChangeTypes = Changes(AllChanges), ResourceDataSelect = "id,subject,start,end,organizer,location,isCancelled", PathExamples = "/users/{id}/events" };
        yield return new() { Name = "Contact", ResourceType = ResourceType.Contact, MaxLifetime = outlook, MaxLifetimeWithResourceData = outlookRich, AllowedChangeTypes = Changes(AllChanges), ResourceDataSelect = "id,displayName,emailAddresses,companyName", PathExamples = "/users/{id}/contacts" };
        yield return new() { Name = "User", ResourceType = ResourceType.User, MaxLifetime = directory, AllowedChangeTypes = Changes("updated", "deleted"), PathExamples = "/users, /users/{id}" };
        yield return new() { Name = "Group", ResourceType = ResourceType.Group, MaxLifetime = directory, AllowedChangeTypes = Changes("updated", "deleted"), PathExamples = "/groups, /groups/{id}, /groups/{id}/members, /groups/{id}/owners" };
        yield return new() { Name = "Conversation", ResourceType = ResourceType.Conversation, MaxLifetime = fourThousand, AllowedChangeTypes = Changes(AllChanges), PathExamples = "/groups/{id}/conversations" };
        yield return new() { Name = DriveItemPersonal, ResourceType = ResourceType.DriveItem, MaxLifetime = files, AllowedChangeTypes = Changes("updated"), PathExamples = "/users/{id}/drive/root (any folder)" };
        yield return new() { Name = DriveItemBusiness, ResourceType = ResourceType.DriveItem, MaxLifetime = files, AllowedChangeTypes = Changes("updated"), PathExamples = "/drives/{id}/root (the root only)" };
        yield return new() { Name = "List", ResourceType = ResourceType.List, MaxLifetime = files, AllowedChangeTypes = Changes("updated"), PathExamples = "/sites/{id}/lists/{id}" };
        yield return new() { Name = "Alert", ResourceType = ResourceType.Alert, MaxLifetime = TimeSpan.FromMinutes(43_200), AllowedChangeTypes = Changes("created", "updated"), PathExamples = "/security/alerts/{id}, /security/alerts?$filter=..." };
        yield return new() { Name = "CallRecord", ResourceType = ResourceType.CallRecord, MaxLifetime = fourThousand, AllowedChangeTypes = Changes("created", "updated"), PathExamples = "/communications/callRecords" };
        yield return new() { Name = "ChatMessage", ResourceType = ResourceType.ChatMessage, MaxLifetime = teams, MaxLifetimeWithResourceData = teams, AllowedChangeTypes = Changes(AllChanges), LifecycleUrlRequiredBeyond = TimeSpan.FromHours(1), PathExamples = "/teams/getAllMessages, /teams/{id}/channels/{id}/messages, /chats/getAllMessages, /chats/{id}/messages" };
    }
}
