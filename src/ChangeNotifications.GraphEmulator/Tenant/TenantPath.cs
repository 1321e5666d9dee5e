namespace ChangeNotifications.GraphEmulator.Tenant;

/// <summary>
/// A Graph URL path (or a subscription's resource) in the tenant's terms: the collection it names
/// (<c>users/{id}/messages</c>), the item id when it names one, and whether it asks for a delta query.
/// Aliases Graph accepts are folded: <c>me</c>, <c>name('id')</c>, <c>mailFolders/{f}/messages</c>,
/// <c>calendar/events</c>, <c>users/{id}/drive[/root]</c>, <c>drives/{id}/root</c>, <c>printtaskdefinition</c>.
/// </summary>
internal sealed class TenantPath
{
    private static readonly HashSet<string> Namespaces = new(StringComparer.OrdinalIgnoreCase) { "security", "communications", "print" };

    private TenantPath(IReadOnlyList<string> segments, bool isDelta)
    {
        Segments = segments;
        IsDelta = isDelta;
        var collectionEnd = segments.Count % 2 == 1 ? segments.Count : segments.Count - 1;
        CollectionKey = string.Join('/', segments.Take(collectionEnd));
        ItemId = segments.Count % 2 == 0 && segments.Count > 0 ? segments[^1] : null;
    }

    /// <summary>Alternating collection names and ids, aliases folded.</summary>
    public IReadOnlyList<string> Segments { get; }

    /// <summary><c>users/{id}/messages</c> for both <c>users/{id}/messages</c> and <c>users/{id}/messages/{m}</c>.</summary>
    public string CollectionKey { get; }

    /// <summary>The item the path names, or null for a collection.</summary>
    public string? ItemId { get; }

    public bool IsDelta { get; }

    /// <summary>The collection name at <paramref name="index"/> (0 = first), lower-case.</summary>
    public string Name(int index) => 2 * index < Segments.Count ? Segments[2 * index].ToLowerInvariant() : string.Empty;

    /// <summary>The id after the collection at <paramref name="index"/>, or null.</summary>
    public string? Id(int index) => 2 * index + 1 < Segments.Count ? Segments[2 * index + 1] : null;

    /// <summary>The collection names joined, ids left out: <c>users/messages</c>.</summary>
    public string Shape => string.Join('/', Segments.Where((_, i) => i % 2 == 0)).ToLowerInvariant();

    public static TenantPath Parse(string path, Func<string, string?> driveOfUser, Func<string, string?> rootOfDrive)
    {
        var text = path;
        var query = text.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
        {
            text = text[..query];
        }

        var raw = new List<string>();
        foreach (var part in text.Trim('/').Split('/'))
        {
            if (part.Length == 0)
            {
                continue;
            }

            var open = part.IndexOf('(', StringComparison.Ordinal);
            if (open > 0 && part.EndsWith(')'))
            {
                // name('id') is name/id; a function call without arguments, delta(), is just its name
                raw.Add(part[..open]);
                var argument = part[(open + 1)..^1].Trim('\'');
                if (argument.Length > 0)
                {
                    raw.Add(argument);
                }
            }
            else
            {
                raw.Add(part);
            }
        }

        if (raw.Count > 0 && raw[0].StartsWith("v1.0", StringComparison.OrdinalIgnoreCase))
        {
            raw.RemoveAt(0);
        }

        var isDelta = raw.Count > 0 && raw[^1].Equals("delta", StringComparison.OrdinalIgnoreCase);
        if (isDelta)
        {
            raw.RemoveAt(raw.Count - 1);
        }

        var segments = Fold(raw, driveOfUser, rootOfDrive);
        return new TenantPath(segments, isDelta);
    }

    private static List<string> Fold(List<string> raw, Func<string, string?> driveOfUser, Func<string, string?> rootOfDrive)
    {
        var s = new List<string>(raw);
        if (s.Count >= 2 && Namespaces.Contains(s[0]))
        {
            s[1] = $"{s[0].ToLowerInvariant()}/{s[1].ToLowerInvariant()}";
            s.RemoveAt(0);
        }

        if (s.Count > 0 && s[0].Equals("me", StringComparison.OrdinalIgnoreCase))
        {
            s[0] = "users";
            s.Insert(1, SeedIds.UserId);
        }

        if (s.Count > 1 && s[0].Equals("users", StringComparison.OrdinalIgnoreCase) && s[1].Equals("me", StringComparison.OrdinalIgnoreCase))
        {
            s[1] = SeedIds.UserId;
        }

        for (var i = 0; i < s.Count; i++)
        {
            if (i % 2 == 0)
            {
                s[i] = s[i].ToLowerInvariant();
            }
        }

        if (s.Count > 0 && s[0] == "print/printtaskdefinition")
        {
            s[0] = "print/taskdefinitions";
        }

        // users/{u}/mailFolders/{f}/messages → users/{u}/messages (every emulated message is in the inbox)
        if (s.Count >= 5 && s[0] == "users" && s[2] == "mailfolders" && s[4] == "messages")
        {
            s.RemoveRange(2, 2);
        }

        // users/{u}/calendar/events → users/{u}/events
        if (s.Count >= 4 && s[0] == "users" && s[2] == "calendar" && s[3].Equals("events", StringComparison.OrdinalIgnoreCase))
        {
            s.RemoveAt(2);
            s[2] = "events";
        }

        // users/{u}/drive[/…] → drives/{driveOfUser}[/…]
        if (s.Count >= 3 && s[0] == "users" && s[2] == "drive" && driveOfUser(s[1]) is { } drive)
        {
            s.RemoveRange(0, 3);
            s.InsertRange(0, ["drives", drive]);
        }

        // drives/{d}/root[/…] → drives/{d}/items/{rootId}[/…]; drives/{d}/items/root → the root's id
        if (s.Count >= 3 && s[0] == "drives" && s[2].Equals("root", StringComparison.OrdinalIgnoreCase))
        {
            s[2] = "items";
            s.Insert(3, "root");
        }

        if (s.Count >= 4 && s[0] == "drives" && s[2] == "items" && s[3].Equals("root", StringComparison.OrdinalIgnoreCase)
            && rootOfDrive(s[1]) is { } root)
        {
            s[3] = root;
        }

        return s;
    }
}
