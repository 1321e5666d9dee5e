using System.Text;

namespace ChangeNotifications.Resources;

/// <summary>
/// A Graph resource path split into segments, in a normal form: lower-case collection names, ids kept
/// as sent, <c>name('id')</c> written as <c>name/id</c>, <c>me</c> as <c>users/me</c>, no leading slash,
/// query string kept apart. <c>Users/{id}/Messages/{id}</c>, <c>/users/{id}/messages/{id}</c> and
/// <c>users('{id}')/messages('{id}')</c> all give the same segments.
/// </summary>
public sealed class ResourcePath
{
    private static readonly HashSet<string> KnownCollections = new(StringComparer.OrdinalIgnoreCase)
    {
        "print", "printers", "jobs", "taskdefinitions", "printtaskdefinition", "tasks", "users", "me",
        "messages", "mailfolders", "childfolders", "events", "calendar", "calendars", "contacts", "contactfolders",
        "groups", "owners", "members", "conversations", "threads", "posts", "drive", "drives", "root", "items",
        "sites", "lists", "security", "alerts", "communications", "callrecords", "teams", "channels", "chats",
        "getallmessages", "replies", "documents",
    };

    private ResourcePath(string original, IReadOnlyList<string> segments, string? query)
    {
        Original = original;
        Segments = segments;
        Query = query;
    }

    /// <summary>The path as it was given.</summary>
    public string Original { get; }

    /// <summary>Segments in normal form: collection names lower-case, ids as sent.</summary>
    public IReadOnlyList<string> Segments { get; }

    /// <summary>The query string without its '?', or null.</summary>
    public string? Query { get; }

    /// <summary>The normal form joined by '/': what the resolver matches on.</summary>
    public string Normalized => string.Join('/', Segments);

    public static ResourcePath Parse(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var text = path.Trim();
        string? query = null;
        var q = text.IndexOf('?', StringComparison.Ordinal);
        if (q >= 0)
        {
            query = text[(q + 1)..];
            text = text[..q];
        }

        foreach (var prefix in new[] { "https://graph.microsoft.com/v1.0/", "https://graph.microsoft.com/beta/" })
        {
            if (text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                text = text[prefix.Length..];
            }
        }

        var segments = new List<string>();
        foreach (var raw in SplitOutsideQuotes(text.Trim('/')))
        {
            if (raw.Length == 0)
            {
                continue;
            }

            var open = raw.IndexOf('(', StringComparison.Ordinal);
            if (open > 0 && raw.EndsWith(')'))
            {
                segments.Add(raw[..open].ToLowerInvariant());
                segments.Add(raw[(open + 1)..^1].Trim('\''));
                continue;
            }

            segments.Add(KnownCollections.Contains(raw) ? raw.ToLowerInvariant() : raw);
        }

        if (segments.Count > 0 && segments[0] == "me")
        {
            segments[0] = "users";
            segments.Insert(1, "me");
        }

        return new ResourcePath(path, segments, query);
    }

    /// <summary>The id that follows <paramref name="collection"/> (the first occurrence), or null.</summary>
    public string? IdAfter(string collection)
    {
        for (var i = 0; i < Segments.Count - 1; i++)
        {
            if (string.Equals(Segments[i], collection, StringComparison.OrdinalIgnoreCase))
            {
                return Segments[i + 1];
            }
        }

        return null;
    }

    /// <summary>The id that follows the last occurrence of <paramref name="collection"/>, or null.</summary>
    public string? LastIdAfter(string collection)
    {
        for (var i = Segments.Count - 2; i >= 0; i--)
        {
            if (string.Equals(Segments[i], collection, StringComparison.OrdinalIgnoreCase))
            {
                return Segments[i + 1];
            }
        }

        return null;
    }

    /// <summary>True when the path names the signed-in user (<c>/me/...</c>): delegated permissions only.</summary>
    public bool IsMe => Segments.Count > 1 && Segments[0] == "users" && Segments[1] == "me";

    public override string ToString() => Original;

    private static IEnumerable<string> SplitOutsideQuotes(string text)
    {
        var current = new StringBuilder();
        var inQuotes = false;
        foreach (var c in text)
        {
            if (c == '\'')
            {
                inQuotes = !inQuotes;
            }

            if (c == '/' && !inQuotes)
            {
                yield return current.ToString();
                current.Clear();
                continue;
            }

            current.Append(c);
        }

        yield return current.ToString();
    }
}
