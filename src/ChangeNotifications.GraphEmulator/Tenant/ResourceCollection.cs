using System.Text.Json.Nodes;

namespace ChangeNotifications.GraphEmulator.Tenant;

/// <summary>
/// One collection of the emulated tenant (<c>users</c>, <c>users/{id}/messages</c>, <c>drives/{id}/items</c> …):
/// its live items in insertion order and, for delta queries, the version of each item's last change. Deleted
/// items stay as tombstones so a delta link issued before the delete reports it. Not thread-safe: the
/// tenant serialises access.
/// </summary>
internal sealed class ResourceCollection(string key, DeltaRemovalStyle removalStyle)
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _order = [];

    public string Key { get; } = key;

    public DeltaRemovalStyle RemovalStyle { get; } = removalStyle;

    public IEnumerable<JsonObject> Live => _order.Select(id => _entries[id]).Where(e => !e.Deleted).Select(e => e.Item);

    public int Count => _order.Count(id => !_entries[id].Deleted);

    public JsonObject? Find(string id) => _entries.TryGetValue(id, out var entry) && !entry.Deleted ? entry.Item : null;

    public void Put(JsonObject item, long version)
    {
        var id = (string)item["id"]!;
        if (!_entries.ContainsKey(id))
        {
            _order.Add(id);
        }

        _entries[id] = new Entry(item, version, Deleted: false);
    }

    /// <summary>Every entry, deleted ones included, in insertion order: what a saved state holds.</summary>
    public IEnumerable<(JsonObject Item, long Version, bool Deleted)> Entries =>
        _order.Select(id => _entries[id]).Select(e => (e.Item, e.Version, e.Deleted));

    /// <summary>Puts back an entry of a saved state as it was (a deleted one stays a tombstone).</summary>
    public void Restore(JsonObject item, long version, bool deleted)
    {
        Put(item, version);
        _entries[(string)item["id"]!] = new Entry(item, version, deleted);
    }

    public JsonObject? Remove(string id, long version)
    {
        if (!_entries.TryGetValue(id, out var entry) || entry.Deleted)
        {
            return null;
        }

        _entries[id] = entry with { Version = version, Deleted = true };
        return entry.Item;
    }

    /// <summary>
    /// What changed after <paramref name="since"/> up to <paramref name="until"/>, oldest change first,
    /// at most <paramref name="max"/>; a full enumeration (<paramref name="since"/> = 0) leaves out deleted items.
    /// </summary>
    public IReadOnlyList<(JsonObject Item, long Version, bool Deleted)> ChangedBetween(long since, long until, int max) =>
        _entries.Values
            .Where(e => e.Version > since && e.Version <= until && !(since == 0 && e.Deleted))
            .OrderBy(e => e.Version)
            .Take(max)
            .Select(e => (e.Item, e.Version, e.Deleted))
            .ToList();

    private sealed record Entry(JsonObject Item, long Version, bool Deleted);
}

/// <summary>How a delta query reports a removed item: driveItem / listItem carry a <c>deleted</c> facet,
/// directory objects and Outlook items an <c>@removed</c> annotation.</summary>
internal enum DeltaRemovalStyle
{
    RemovedAnnotation,
    DeletedFacet,
}
