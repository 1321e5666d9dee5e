namespace ChangeNotifications.Tests.Faults;

/// <summary>A temp directory for a child service's SQLite file, deleted on dispose when nothing holds it.</summary>
public sealed class TempDirectory(string prefix) : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory(prefix);

    public string File(string name) => Path.Combine(_directory.FullName, name);

    public void Dispose()
    {
        try
        {
            _directory.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A child's SQLite handle may linger for a moment; the temp dir is left behind.
        }
    }
}
