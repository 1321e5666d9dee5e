using System.Globalization;
using System.Text.Json.Nodes;
using ChangeNotifications.GraphEmulator.Hosting;
using Microsoft.AspNetCore.Routing;

namespace ChangeNotifications.GraphEmulator.Tenant;

/// <summary>
/// The emulator's seeded tenant, in memory: users, a group with conversations, a team with a channel and a
/// chat, a mailbox, events, contacts, a user's OneDrive and a business drive, a SharePoint list, security
/// alerts, call records, a printer with jobs and a print task definition with tasks. Seeded from
/// <see cref="SeedIds"/> so paths in appsettings and tests exist; every read and change takes one lock.
/// <see cref="TenantEndpoints"/> serves it over HTTP; <see cref="MakeChange"/> is what the change generator calls.
/// </summary>
public sealed partial class EmulatedTenant : IEmulatedTenant, IGraphEndpointContributor
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ResourceCollection> _collections = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _driveOfUser = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _rootOfDrive = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _shapes = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeProvider _time;
    private readonly Dictionary<string, int> _deltaGenerations = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Random per tenant instance (kept by a restored state): a delta token another tenant issued is unknown here.</summary>
    private string _deltaEpoch = Guid.NewGuid().ToString("N")[..8];
    private long _version;
    private int _sequence;
    private int _refusedDeltaLinks;
    private int _rotation;

    public EmulatedTenant()
        : this(TimeProvider.System)
    {
    }

    /// <param name="time">Clock for the timestamps the tenant writes.</param>
    /// <param name="deltaPageSize">Items per delta page before an <c>@odata.nextLink</c> (Graph pages too).</param>
    public EmulatedTenant(TimeProvider time, int deltaPageSize = 50)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(deltaPageSize, 1);
        _time = time;
        DeltaPageSize = deltaPageSize;
        Seed();
    }

    public int DeltaPageSize { get; }

    /// <summary>The server maps the tenant's resources into its authenticated <c>/v1.0</c> group.</summary>
    public void MapGraphEndpoints(RouteGroupBuilder graph) => graph.MapTenantEndpoints(this);

    /// <summary>A copy of the item at <paramref name="path"/> (any Graph form), or null.</summary>
    public JsonObject? Find(string path)
    {
        lock (_lock)
        {
            var p = ParsePath(path);
            return p.ItemId is null ? null : Collection(p.CollectionKey)?.Find(p.ItemId)?.DeepClone().AsObject();
        }
    }

    /// <summary>Copies of the live items of the collection at <paramref name="path"/>, or null when there is none.</summary>
    public IReadOnlyList<JsonObject>? List(string path)
    {
        lock (_lock)
        {
            var p = ParsePath(path);
            return p.ItemId is null ? Collection(p.CollectionKey)?.Live.Select(i => i.DeepClone().AsObject()).ToList() : null;
        }
    }

    /// <summary>Merges <paramref name="patch"/>'s top-level properties into the item; returns the result, or null.</summary>
    internal JsonObject? Patch(TenantPath path, JsonObject patch)
    {
        lock (_lock)
        {
            var collection = path.ItemId is null ? null : Collection(path.CollectionKey);
            var item = path.ItemId is null ? null : collection?.Find(path.ItemId);
            if (collection is null || item is null)
            {
                return null;
            }

            foreach (var (name, value) in patch)
            {
                item[name] = value?.DeepClone();
            }

            Touch(collection, item);
            return item.DeepClone().AsObject();
        }
    }

    /// <summary>One page of a delta query: changes after <paramref name="since"/> up to <paramref name="until"/>
    /// (null: now). <paramref name="stamp"/> is the stamp of the token the request carried (null: none, or
    /// <c>latest</c>); one this tenant did not issue, or issued before <see cref="ExpireDeltaLinks"/>, gives a
    /// <see cref="DeltaPage.Gone"/> page. Null when the path names no collection.</summary>
    internal DeltaPage? Delta(TenantPath path, long since, long? until, string? stamp = null)
    {
        lock (_lock)
        {
            var key = DeltaKey(path);
            if (key is null || Collection(key) is not { } collection)
            {
                return null;
            }

            var current = DeltaStamp(key);
            if (stamp is not null && !string.Equals(stamp, current, StringComparison.Ordinal))
            {
                _refusedDeltaLinks++;
                return new DeltaPage([], null, _version, current, Gone: true);
            }

            var end = until ?? _version;
            var changes = collection.ChangedBetween(since, end, DeltaPageSize);
            var items = changes.Select(c => c.Deleted ? Tombstone(c.Item, collection.RemovalStyle) : c.Item.DeepClone().AsObject()).ToList();
            var more = changes.Count == DeltaPageSize && collection.ChangedBetween(changes[^1].Version, end, 1).Count > 0;
            return new DeltaPage(items, more ? changes[^1].Version : null, end, current);
        }
    }

    /// <summary>How many delta requests were answered 410 Gone (an expired or unknown token).</summary>
    public int RefusedDeltaLinks
    {
        get
        {
            lock (_lock)
            {
                return _refusedDeltaLinks;
            }
        }
    }

    /// <summary>Every delta and next link issued so far for the collection at <paramref name="resource"/> (any Graph
    /// form of it, e.g. <c>drives/{id}/root</c> or <c>sites/{id}/lists/{id}</c>) answers 410 Gone from now on, as Graph does for an expired token.
    /// Returns the collections affected (0 when the path names none).</summary>
    public int ExpireDeltaLinks(string resource)
    {
        lock (_lock)
        {
            // A subscription's resource, or its delta path: a list's delta runs on its items.
            var trimmed = resource.Trim('/');
            var key = new[] { trimmed, trimmed + "/delta", trimmed + "/items/delta" }
                .Select(ParsePath).Where(p => p.IsDelta).Select(DeltaKey)
                .FirstOrDefault(k => k is not null && Collection(k) is not null);
            if (key is null)
            {
                return 0;
            }

            _deltaGenerations[key] = _deltaGenerations.GetValueOrDefault(key) + 1;
            return 1;
        }
    }

    private static string? DeltaKey(TenantPath path) =>
        path.ItemId is not null && path.Shape == "drives/items" ? path.CollectionKey : path.ItemId is null ? path.CollectionKey : null;

    private string DeltaStamp(string key) =>
        string.Create(CultureInfo.InvariantCulture, $"{_deltaEpoch}.{_deltaGenerations.GetValueOrDefault(key)}");

    internal TenantPath ParsePath(string path) =>
        TenantPath.Parse(path, u => _driveOfUser.GetValueOrDefault(u), d => _rootOfDrive.GetValueOrDefault(d));

    internal bool Exists(TenantPath path)
    {
        lock (_lock)
        {
            return Collection(path.CollectionKey) is { } c && (path.ItemId is null || c.Find(path.ItemId) is not null);
        }
    }

    private static JsonObject Tombstone(JsonObject item, DeltaRemovalStyle style)
    {
        var id = (string)item["id"]!;
        return style == DeltaRemovalStyle.DeletedFacet
            ? new JsonObject
            {
                ["id"] = id,
                ["name"] = item["name"]?.DeepClone(),
                ["parentReference"] = item["parentReference"]?.DeepClone(),
                ["deleted"] = new JsonObject { ["state"] = "deleted" },
            }
            : new JsonObject { ["id"] = id, ["@removed"] = new JsonObject { ["reason"] = "deleted" } };
    }

    /// <summary>True when the tenant has collections of this shape (<c>users/messages</c>): an unknown id under it is a 404,
    /// an unknown shape is a segment Graph does not know (400).</summary>
    internal bool KnowsShape(TenantPath path)
    {
        lock (_lock)
        {
            return _shapes.Contains(path.Shape) || (path.Shape == "drives/items" && path.ItemId is not null);
        }
    }

    private ResourceCollection? Collection(string key) => _collections.GetValueOrDefault(key);

    private ResourceCollection CollectionFor(string key, DeltaRemovalStyle style = DeltaRemovalStyle.RemovedAnnotation)
    {
        if (!_collections.TryGetValue(key, out var collection))
        {
            collection = new ResourceCollection(key, style);
            _collections[key] = collection;
            _shapes.Add(ParsePath(key).Shape);
        }

        return collection;
    }

    private JsonObject Add(string collectionKey, JsonObject item, DeltaRemovalStyle style = DeltaRemovalStyle.RemovedAnnotation)
    {
        CollectionFor(collectionKey, style).Put(item, ++_version);
        return item;
    }

    private void Touch(ResourceCollection collection, JsonObject item)
    {
        var version = ++_version;
        if (item.ContainsKey("lastModifiedDateTime"))
        {
            item["lastModifiedDateTime"] = Now();
        }

        if (item.ContainsKey("@odata.etag"))
        {
            item["@odata.etag"] = ETag(version);
        }

        collection.Put(item, version);
    }

    private JsonObject? Delete(string collectionKey, string id) => Collection(collectionKey)?.Remove(id, ++_version);

    private string Now() => _time.GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    private static string ETag(long version) => string.Create(CultureInfo.InvariantCulture, $"W/\"CQAAABYAAAD{version:D6}\"");

    /// <summary>A deterministic GUID-shaped id: the n-th id the tenant hands out for <paramref name="kind"/>.</summary>
    private string NewId(int kind) =>
        string.Create(CultureInfo.InvariantCulture, $"{kind:x8}-{++_sequence:x4}-4000-8000-{_sequence:x12}");

    private int NextNumber() => ++_sequence;
}

/// <summary>One page of a delta query; <see cref="NextAfter"/> is set when more changes follow. <see cref="Stamp"/> goes
/// into the links the page hands out; <see cref="Gone"/>: the request's token is expired or unknown (410).</summary>
internal sealed record DeltaPage(IReadOnlyList<JsonObject> Items, long? NextAfter, long Until, string Stamp, bool Gone = false);
