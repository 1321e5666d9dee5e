using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Storage;

/// <summary>Settings of section <c>Storage</c>.</summary>
internal sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary><c>Sqlite</c> (embedded default, one instance) or <c>Postgres</c> (shared by several instances; needs
    /// <c>ConnectionStrings:ChangeNotifications</c>).</summary>
    public StorageProvider Provider { get; set; } = StorageProvider.Sqlite;

    /// <summary>SQLite file; relative paths are under the content root.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = $"{Section}:SqlitePath must name a file.")]
    public string SqlitePath { get; set; } = "data/changenotifications.db";

    /// <summary>The folder of the files kept locally with <c>Postgres</c> (the emulator's state and certificate);
    /// relative paths are under the content root. With <c>Sqlite</c> they are kept in the file's folder.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = $"{Section}:DataFolder must name a folder.")]
    public string DataFolder { get; set; } = "data";

    /// <summary><c>Full</c>: every acknowledged write is fsynced (survives power loss). <c>Normal</c>: survives a process crash only.</summary>
    public StorageDurability Durability { get; set; } = StorageDurability.Full;

    /// <summary>How long a write waits for SQLite's lock before it gives up.</summary>
    [SettingRange(typeof(TimeSpan), "00:00:00.001", "00:01:00", ErrorMessage = $"{Section}:BusyTimeout must be between 00:00:00.001 and 00:01:00.")]
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>The bounds of <see cref="StorageOptions"/>, from its DataAnnotations attributes.</summary>
[OptionsValidator]
internal sealed partial class StorageOptionsBoundsValidator : IValidateOptions<StorageOptions>;

internal enum StorageProvider
{
    Sqlite,
    Postgres,
}

internal enum StorageDurability
{
    Full,
    Normal,
}
