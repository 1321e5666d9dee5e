namespace ChangeNotifications.Storage;

/// <summary>
/// The folder the service keeps its local files in (for SQLite, the database file's folder): the emulator's state and
/// certificate are kept there too, so one data volume holds a whole run.
/// </summary>
internal sealed class DataFolder(string path)
{
    public string Path { get; } = path;
}
