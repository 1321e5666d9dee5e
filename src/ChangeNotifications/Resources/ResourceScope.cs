namespace ChangeNotifications.Resources;

/// <summary>
/// What a change notification may touch: its resource must be of the subscription's resource type and lie under the
/// subscription's resource (the same user, group, drive, site and list, team and channel, chat, printer or task
/// definition; ids compared case-insensitively). The shapes Graph and OneDrive's and SharePoint's webhooks send are
/// read relative to the subscription: no resource, <c>/me/…</c> (the subscription's user), <c>/drive/root</c> (the
/// subscription's drive), a bare list GUID (the subscription's list). A path with an empty id or a <c>.</c> / <c>..</c>
/// segment (percent-encoded too) is refused, and so is a resource none of the 14 types has under a subscription of
/// one of them.
/// The type comes from the path; a <c>resourceData.@odata.type</c> of another known type than the path's is refused.
/// </summary>
internal static class ResourceScope
{
    /// <summary>The collections whose ids a notification's resource must share with its subscription's.</summary>
    private static readonly string[] Anchors =
        ["users", "groups", "drives", "sites", "lists", "teams", "channels", "chats", "printers", "alerts"];

    public static ScopeVerdict Check(string subscriptionResource, string? resource, string? odataType)
    {
        ArgumentNullException.ThrowIfNull(subscriptionResource);
        var subscribed = ResourcePath.Parse(subscriptionResource);
        var subscribedType = ResourceTypeResolver.Resolve(subscribed);
        if (string.IsNullOrWhiteSpace(resource))
        {
            return ScopeVerdict.Within(subscribed, subscribedType);
        }

        if (UnsafeSegment(resource) is { } unsafeSegment)
        {
            return ScopeVerdict.Refused($"resource '{resource}' has {unsafeSegment}");
        }

        if (subscribedType == ResourceType.Unknown)
        {
            // A subscription to a path of no type (stored by hand, e.g. for load tests) covers the paths under it; they
            // go to the handler of last resort, which fetches nothing.
            var under = ResourcePath.Parse(resource);
            return ResourceTypeResolver.Resolve(under) == ResourceType.Unknown && StartsWith(under, subscribed)
                ? ScopeVerdict.Within(under, ResourceType.Unknown)
                : ScopeVerdict.Refused($"resource '{resource}' is outside the subscription's resource '{subscriptionResource}'");
        }

        var path = Relative(ResourcePath.Parse(resource), subscribed, subscribedType);
        if (path is null)
        {
            return ScopeVerdict.Refused($"resource '{resource}' is outside the subscription's resource '{subscriptionResource}'");
        }

        // The path is what a handler would fetch: one that is none of the 14 types never reaches a handler, whatever
        // resourceData says.
        var type = ResourceTypeResolver.Resolve(path);
        var byData = ResourceTypeResolver.Resolve(null, odataType);
        if (type == ResourceType.Unknown)
        {
            return ScopeVerdict.Refused($"resource '{resource}' is none of the 14 resource types");
        }

        if (type != subscribedType)
        {
            return ScopeVerdict.Refused($"resource '{resource}' is of type {type}, not {subscribedType} as the subscription's resource '{subscriptionResource}'");
        }

        if (byData != ResourceType.Unknown && byData != type)
        {
            return ScopeVerdict.Refused($"resource '{resource}' is of type {type} but its resourceData says {odataType}");
        }

        return Under(path, subscribed)
            ? ScopeVerdict.Within(path, type)
            : ScopeVerdict.Refused($"resource '{resource}' is outside the subscription's resource '{subscriptionResource}'");
    }

    /// <summary>The item's path with the forms relative to the subscription written out; null when a relative form
    /// cannot be placed under it.</summary>
    private static ResourcePath? Relative(ResourcePath path, ResourcePath subscribed, ResourceType subscribedType)
    {
        var segments = path.Segments.ToList();
        if (path.IsMe)
        {
            if (subscribed.Segments is ["users", var userId, ..])
            {
                segments[1] = userId;
            }
            else if (subscribedType == ResourceType.DriveItem && segments is [_, _, "drive", ..])
            {
                segments.RemoveRange(0, 2);
            }
            else
            {
                return null;
            }
        }

        if (subscribedType == ResourceType.DriveItem && segments is ["drive", ..])
        {
            var drive = DrivePrefix(subscribed);
            if (drive is null)
            {
                return null;
            }

            segments.RemoveAt(0);
            segments.InsertRange(0, drive);
        }
        else if (subscribedType == ResourceType.List && segments is [var bare] && Guid.TryParse(bare, out var listId))
        {
            // A SharePoint list webhook names the list by its GUID alone (siteUrl and webId beside it).
            return Guid.TryParse(subscribed.LastIdAfter("lists"), out var subscribedList) && subscribedList == listId ? subscribed : null;
        }

        return segments.SequenceEqual(path.Segments, StringComparer.Ordinal)
            ? path
            : ResourcePath.Parse(string.Join('/', segments));
    }

    /// <summary>The subscription's drive as segments: <c>users/{id}/drive</c> or <c>drives/{id}</c>.</summary>
    private static string[]? DrivePrefix(ResourcePath subscribed) => subscribed.Segments switch
    {
        ["users", var user, "drive", ..] => ["users", user, "drive"],
        ["drives", var drive, ..] => ["drives", drive],
        _ => null,
    };

    /// <summary>Whether <paramref name="path"/> starts where the subscription's resource does and names the same id after
    /// each collection the subscription names one after (a <c>getAllMessages</c> subscription names none).</summary>
    private static bool Under(ResourcePath path, ResourcePath subscribed)
    {
        if (path.Segments.Count == 0 || subscribed.Segments.Count == 0 || path.Segments[0] != subscribed.Segments[0])
        {
            return false;
        }

        foreach (var collection in Anchors)
        {
            var expected = subscribed.IdAfter(collection);
            if (expected is null || expected.Equals("getallmessages", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (!string.Equals(path.IdAfter(collection), expected, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        var definition = DefinitionId(subscribed);
        return definition is null || string.Equals(DefinitionId(path), definition, StringComparison.OrdinalIgnoreCase);
    }

    private static bool StartsWith(ResourcePath path, ResourcePath prefix) =>
        prefix.Segments.Count > 0 && path.Segments.Count >= prefix.Segments.Count
        && prefix.Segments.Select((segment, i) => string.Equals(segment, path.Segments[i], StringComparison.OrdinalIgnoreCase)).All(same => same);

    private static string? DefinitionId(ResourcePath path) => path.IdAfter("taskdefinitions") ?? path.IdAfter("printtaskdefinition");

    /// <summary>What makes a path unsafe to put into a Graph request, or null: an empty segment or id, or a segment that
    /// is <c>.</c> or <c>..</c> once percent-decoded.</summary>
    private static string? UnsafeSegment(string resource)
    {
        var text = resource.Trim();
        var query = text.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
        {
            text = text[..query];
        }

        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            var host = text.IndexOf('/', scheme + 3);
            text = host < 0 ? string.Empty : text[host..];
        }

        foreach (var segment in text.Trim('/').Split('/'))
        {
            var open = segment.IndexOf('(', StringComparison.Ordinal);
            var id = open >= 0 && segment.EndsWith(')') ? segment[(open + 1)..^1].Trim('\'') : segment;
            foreach (var part in open >= 0 ? new[] { segment[..open], id } : new[] { segment })
            {
                var decoded = Uri.UnescapeDataString(part).Trim();
                if (decoded.Length == 0)
                {
                    return "an empty segment or id";
                }

                if (decoded is "." or "..")
                {
                    return $"a '{decoded}' segment";
                }
            }
        }

        return null;
    }
}

/// <summary>What <see cref="ResourceScope.Check"/> found: the item's resource as the handler gets it and its type, or
/// why it is refused.</summary>
internal readonly record struct ScopeVerdict(ResourcePath? Path, ResourceType Type, string? Reason)
{
    public bool IsWithin => Reason is null;

    public static ScopeVerdict Within(ResourcePath path, ResourceType type) => new(path, type, null);

    public static ScopeVerdict Refused(string reason) => new(null, ResourceType.Unknown, reason);
}
