using System.Text.Json.Nodes;
using ChangeNotifications.GraphEmulator.State;

namespace ChangeNotifications.GraphEmulator.Tenant;

public sealed partial class EmulatedTenant
{
    /// <summary>
    /// How far the change counter jumps when a state is restored. A process killed between two saves may have handed out
    /// delta tokens past the saved counter; the jump keeps every later change after any of them, so none is skipped.
    /// </summary>
    internal const long RestoredVersionGap = 1_000_000;

    /// <summary>Grows with every change: a saver compares it to know whether the tenant changed since its last save.</summary>
    internal long Revision
    {
        get
        {
            lock (_lock)
            {
                return _version;
            }
        }
    }

    /// <summary>
    /// Everything a restarted tenant needs to go on where this one is: every collection with its items, tombstones and
    /// change versions (delta tokens are change versions), the drive maps and the id and rotation counters.
    /// </summary>
    internal (JsonObject State, long Revision) ExportState()
    {
        lock (_lock)
        {
            var collections = new JsonArray();
            foreach (var collection in _collections.Values)
            {
                var entries = new JsonArray();
                foreach (var (item, version, deleted) in collection.Entries)
                {
                    entries.Add(new JsonObject { ["version"] = version, ["deleted"] = deleted, ["item"] = item.DeepClone() });
                }

                collections.Add(new JsonObject
                {
                    ["key"] = collection.Key,
                    ["removalStyle"] = collection.RemovalStyle.ToString(),
                    ["entries"] = entries,
                });
            }

            var state = new JsonObject
            {
                ["version"] = _version,
                ["sequence"] = _sequence,
                ["rotation"] = _rotation,
                ["driveOfUser"] = Map(_driveOfUser),
                ["rootOfDrive"] = Map(_rootOfDrive),
                ["deltaEpoch"] = _deltaEpoch,
                ["deltaGenerations"] = new JsonObject(_deltaGenerations.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
                ["collections"] = collections,
            };
            return (state, _version);
        }
    }

    /// <summary>
    /// Replaces the whole tenant with a state <see cref="ExportState"/> wrote (its change counter
    /// <see cref="RestoredVersionGap"/> ahead). The state is read in full first, so a malformed one
    /// (<see cref="InvalidDataException"/>) leaves the tenant as it was.
    /// </summary>
    internal void RestoreState(JsonObject state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var version = StateJson.Required<long>(state, "version");
        var sequence = StateJson.Required<int>(state, "sequence");
        var rotation = StateJson.Required<int>(state, "rotation");
        var driveOfUser = ReadMap(StateJson.Required<JsonObject>(state, "driveOfUser"));
        var rootOfDrive = ReadMap(StateJson.Required<JsonObject>(state, "rootOfDrive"));
        var deltaEpoch = StateJson.Required<string>(state, "deltaEpoch");
        var deltaGenerations = StateJson.Required<JsonObject>(state, "deltaGenerations")
            .ToDictionary(p => p.Key, p => p.Value?.GetValueKind() == System.Text.Json.JsonValueKind.Number
                ? p.Value.GetValue<int>()
                : throw new InvalidDataException($"The delta generation of {p.Key} is not a number."), StringComparer.OrdinalIgnoreCase);
        var collections = new List<ResourceCollection>();
        foreach (var node in StateJson.Required<JsonArray>(state, "collections"))
        {
            var entry = node as JsonObject ?? throw new InvalidDataException("A collection is not an object.");
            var style = Enum.TryParse<DeltaRemovalStyle>(StateJson.Required<string>(entry, "removalStyle"), out var parsed)
                ? parsed
                : throw new InvalidDataException("A collection has an unknown removalStyle.");
            var collection = new ResourceCollection(StateJson.Required<string>(entry, "key"), style);
            foreach (var itemNode in StateJson.Required<JsonArray>(entry, "entries"))
            {
                var item = itemNode as JsonObject ?? throw new InvalidDataException($"An entry of {collection.Key} is not an object.");
                var resource = StateJson.Required<JsonObject>(item, "item");
                _ = StateJson.Required<string>(resource, "id");
                collection.Restore((JsonObject)resource.DeepClone(), StateJson.Required<long>(item, "version"), StateJson.Required<bool>(item, "deleted"));
            }

            collections.Add(collection);
        }

        lock (_lock)
        {
            _collections.Clear();
            _shapes.Clear();
            ReplaceMap(_driveOfUser, driveOfUser);
            ReplaceMap(_rootOfDrive, rootOfDrive);
            foreach (var collection in collections)
            {
                _collections[collection.Key] = collection;
                _shapes.Add(ParsePath(collection.Key).Shape);
            }

            _deltaGenerations.Clear();
            foreach (var (key, generation) in deltaGenerations)
            {
                _deltaGenerations[key] = generation;
            }

            _deltaEpoch = deltaEpoch;
            _version = version + RestoredVersionGap;
            _sequence = sequence;
            _rotation = rotation;
        }
    }

    private static JsonObject Map(Dictionary<string, string> map) => new(map.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value)));

    private static Dictionary<string, string> ReadMap(JsonObject map) =>
        map.ToDictionary(p => p.Key, p => p.Value?.GetValue<string>() ?? throw new InvalidDataException($"'{p.Key}' has no value."));

    private static void ReplaceMap(Dictionary<string, string> target, Dictionary<string, string> source)
    {
        target.Clear();
        foreach (var (key, value) in source)
        {
            target[key] = value;
        }
    }
}
