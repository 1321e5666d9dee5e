using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ChangeNotifications.GraphEmulator.Hosting;
using ChangeNotifications.GraphEmulator.Subscriptions;
using ChangeNotifications.GraphEmulator.Tenant;
using Microsoft.Extensions.Logging;

namespace ChangeNotifications.GraphEmulator.State;

/// <summary>
/// The emulator's state in one JSON file at <see cref="GraphEmulatorOptions.StatePath"/>: its subscriptions (ids,
/// expiry, clientState, URLs, certificates) and, when it serves an <see cref="EmulatedTenant"/>, the tenant with the
/// change versions its delta tokens name. Loaded before the server listens; saved atomically (a temporary file
/// renamed over the old one). The file holds clientStates, so it is as secret as the service's own store.
/// </summary>
internal sealed partial class EmulatorStateFile
{
    private const int FormatVersion = 1;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new StringSetConverter() },
    };

    private readonly GraphEmulatorOptions _options;
    private readonly SubscriptionRegistry _registry;
    private readonly ILogger<EmulatorStateFile> _logger;
    private readonly Lock _saveGate = new();
    private (long Tenant, long Subscriptions) _saved = (-1, -1);

    public EmulatorStateFile(GraphEmulatorOptions options, SubscriptionRegistry registry, ILogger<EmulatorStateFile> logger)
    {
        _options = options;
        _registry = registry;
        _logger = logger;
        Path = System.IO.Path.GetFullPath(options.StatePath ?? throw new InvalidOperationException($"{nameof(GraphEmulatorOptions.StatePath)} is not set."));

        // Subscriptions change seldom and the subscriber keeps their ids: saved at once, not at the next tick.
        registry.Changed += () => TrySave();
    }

    public string Path { get; }

    /// <summary>True when the subscriptions or the tenant changed since the last save (or load).</summary>
    public bool HasUnsavedChanges
    {
        get
        {
            lock (_saveGate)
            {
                return Revisions() != _saved;
            }
        }
    }

    private EmulatedTenant? Tenant => _options.Tenant as EmulatedTenant;

    /// <summary>
    /// Puts back the saved subscriptions and tenant; nothing when the file does not exist yet (a first run). A file
    /// that cannot be read or understood throws an <see cref="InvalidDataException"/> naming it: starting empty would
    /// silently drop every subscription its subscriber still counts on.
    /// </summary>
    public void Load()
    {
        if (!File.Exists(Path))
        {
            LogNoState(_logger, Path);
            return;
        }

        try
        {
            var root = JsonNode.Parse(File.ReadAllBytes(Path)) as JsonObject ?? throw new InvalidDataException("it is not a JSON object.");
            var format = StateJson.Required<int>(root, "format");
            if (format != FormatVersion)
            {
                throw new InvalidDataException($"format {format} is not {FormatVersion}.");
            }

            var subscriptions = StateJson.Required<JsonArray>(root, "subscriptions")
                .Select(s => s.Deserialize<EmulatedSubscription>(Json) ?? throw new InvalidDataException("a subscription is null."))
                .ToList();
            if (root["tenant"] is JsonObject tenant)
            {
                Tenant?.RestoreState(tenant);
            }

            _registry.Restore(subscriptions);
            lock (_saveGate)
            {
                _saved = Revisions();
            }

            LogLoaded(_logger, subscriptions.Count, Path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or InvalidDataException or NotSupportedException)
        {
            throw new InvalidDataException(
                $"The Graph emulator's state file '{Path}' cannot be loaded: {ex.Message} Delete it (or the whole data folder) to start again from the seeded tenant.",
                ex);
        }
    }

    /// <summary>Writes the current state; true when it is on disk. A failure is logged, never thrown (the emulator keeps serving).</summary>
    public bool TrySave()
    {
        lock (_saveGate)
        {
            try
            {
                var (subscriptions, subscriptionsRevision) = _registry.Snapshot();
                JsonObject? tenant = null;
                long tenantRevision = 0;
                if (Tenant is { } emulated)
                {
                    (tenant, tenantRevision) = emulated.ExportState();
                }

                var root = new JsonObject
                {
                    ["format"] = FormatVersion,
                    ["subscriptions"] = JsonSerializer.SerializeToNode(subscriptions, Json),
                    ["tenant"] = tenant,
                };
                WriteAtomically(root);
                _saved = (tenantRevision, subscriptionsRevision);
                LogSaved(_logger, subscriptions.Count, Path);
                return true;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogSaveFailed(_logger, Path, ex.Message, ex);
                return false;
            }
        }
    }

    private void WriteAtomically(JsonObject root)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var temporary = Path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            // It holds clientStates: readable by the service's user only.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            using (var writer = new Utf8JsonWriter(stream))
            {
                root.WriteTo(writer);
            }

            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, Path, overwrite: true);
    }

    private (long Tenant, long Subscriptions) Revisions() => (Tenant?.Revision ?? 0, _registry.Revision);

    [LoggerMessage(EventId = 7200, Level = LogLevel.Information, Message = "Emulator restored {Count} subscription(s) and its tenant from {Path}")]
    private static partial void LogLoaded(ILogger logger, int count, string path);

    [LoggerMessage(EventId = 7201, Level = LogLevel.Information, Message = "Emulator has no state at {Path} yet: it starts from the seeded tenant")]
    private static partial void LogNoState(ILogger logger, string path);

    [LoggerMessage(EventId = 7202, Level = LogLevel.Debug, Message = "Emulator saved {Count} subscription(s) and its tenant to {Path}")]
    private static partial void LogSaved(ILogger logger, int count, string path);

    [LoggerMessage(EventId = 7203, Level = LogLevel.Warning, Message = "Emulator could not save its state to {Path}: {Reason}; it tries again at the next change")]
    private static partial void LogSaveFailed(ILogger logger, string path, string reason, Exception exception);

    /// <summary>A subscription's change types: a JSON array, read back into an ordinal set.</summary>
    private sealed class StringSetConverter : JsonConverter<IReadOnlySet<string>>
    {
        public override IReadOnlySet<string> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            new HashSet<string>(JsonSerializer.Deserialize<string[]>(ref reader, options) ?? [], StringComparer.Ordinal);

        public override void Write(Utf8JsonWriter writer, IReadOnlySet<string> value, JsonSerializerOptions options) =>
            JsonSerializer.Serialize(writer, value.Order(StringComparer.Ordinal).ToArray(), options);
    }
}
