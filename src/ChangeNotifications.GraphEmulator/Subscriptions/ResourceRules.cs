namespace ChangeNotifications.GraphEmulator.Subscriptions;

/// <summary>The emulator's table of subscribable resource paths, and the matching of a path against it.</summary>
internal static class ResourceRules
{
    private static readonly HashSet<string> CreatedUpdatedDeleted = new(["created", "updated", "deleted"], StringComparer.Ordinal);
    private static readonly HashSet<string> UpdatedDeleted = new(["updated", "deleted"], StringComparer.Ordinal);
    private static readonly HashSet<string> UpdatedOnly = new(["updated"], StringComparer.Ordinal);
    private static readonly HashSet<string> CreatedOnly = new(["created"], StringComparer.Ordinal);
    private static readonly HashSet<string> CreatedUpdated = new(["created", "updated"], StringComparer.Ordinal);

    public static IReadOnlyList<ResourceRule> All { get; } =
    [
        new("printer", ["print/printers/*/jobs"], Minutes(4230), UpdatedOnly),
        new("printTaskDefinition", ["print/taskdefinitions/*/tasks", "print/printtaskdefinition/*/tasks"], Minutes(4230), CreatedOnly),
        new("message", ["users/*/messages", "users/*/mailfolders/*/messages", "users/*/mailfolders/*/childfolders/*/messages"],
            Minutes(10080), CreatedUpdatedDeleted, SupportsResourceData: true, MaxLifetimeWithResourceData: Minutes(1440), SupportsRemovedAndMissed: true),
        new("event", ["users/*/events", "users/*/calendar/events", "users/*/calendars/*/events"],
            Minutes(10080), CreatedUpdatedDeleted, SupportsResourceData: true, MaxLifetimeWithResourceData: Minutes(1440), SupportsRemovedAndMissed: true),
        new("contact", ["users/*/contacts", "users/*/contactfolders/*/contacts"],
            Minutes(10080), CreatedUpdatedDeleted, SupportsResourceData: true, MaxLifetimeWithResourceData: Minutes(1440), SupportsRemovedAndMissed: true),
        new("user", ["users", "users/*"], Minutes(41760), UpdatedDeleted),
        new("group", ["groups", "groups/*", "groups/*/owners", "groups/*/members"], Minutes(41760), UpdatedDeleted),
        new("conversation", ["groups/*/conversations"], Minutes(4230), CreatedUpdatedDeleted),
        new("driveItem", ["users/*/drive/root", "drives/*/root", "users/*/drive/items/*", "drives/*/items/*"], Minutes(42300), UpdatedOnly),
        new("list", ["sites/*/lists/*"], Minutes(42300), UpdatedOnly),
        new("alert", ["security/alerts", "security/alerts/*"], Minutes(43200), CreatedUpdated),
        new("callRecord", ["communications/callrecords"], Minutes(4230), CreatedUpdated),
        new("chatMessage", ["teams/getallmessages", "teams/*/channels/*/messages", "chats/getallmessages", "chats/*/messages"],
            Minutes(4320), CreatedUpdatedDeleted, IsTeams: true, SupportsResourceData: true, SupportsRemovedAndMissed: true),
    ];

    /// <summary>The rule whose pattern matches <paramref name="resource"/>, or null when Graph would refuse the path.</summary>
    public static ResourceRule? Find(string resource)
    {
        var segments = Segments(resource);
        return All.FirstOrDefault(rule => rule.Patterns.Any(pattern => Matches(pattern, segments)));
    }

    /// <summary>
    /// A path in normal form: no base URL, no query, <c>name('id')</c> as <c>name/id</c>, <c>me</c> as <c>users/me</c>,
    /// used to match rules and (compared ignoring case) to find duplicate subscriptions.
    /// </summary>
    public static string Normalize(string resource)
    {
        var query = resource.IndexOf('?', StringComparison.Ordinal);
        var path = string.Join('/', Segments(resource));
        return query < 0 ? path : path + resource[query..];
    }

    private static List<string> Segments(string resource)
    {
        var path = resource.Trim();
        var query = path.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
        {
            path = path[..query];
        }

        foreach (var prefix in new[] { "https://graph.microsoft.com/v1.0/", "https://graph.microsoft.com/beta/" })
        {
            if (path.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                path = path[prefix.Length..];
            }
        }

        var segments = new List<string>();
        foreach (var raw in path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var open = raw.IndexOf('(', StringComparison.Ordinal);
            if (open > 0 && raw.EndsWith(')'))
            {
                segments.Add(raw[..open].ToLowerInvariant());
                segments.Add(raw[(open + 1)..^1].Trim('\''));
            }
            else
            {
                segments.Add(raw);
            }
        }

        if (segments.Count > 0 && segments[0].Equals("me", StringComparison.OrdinalIgnoreCase))
        {
            segments[0] = "users";
            segments.Insert(1, "me");
        }

        return segments;
    }

    private static bool Matches(string pattern, IReadOnlyList<string> segments)
    {
        var parts = pattern.Split('/');
        if (parts.Length != segments.Count)
        {
            return false;
        }

        for (var i = 0; i < parts.Length; i++)
        {
            if (parts[i] == "*")
            {
                if (segments[i].Length == 0)
                {
                    return false;
                }

                continue;
            }

            if (!parts[i].Equals(segments[i], StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return true;
    }

    private static TimeSpan Minutes(int minutes) => TimeSpan.FromMinutes(minutes);
}
