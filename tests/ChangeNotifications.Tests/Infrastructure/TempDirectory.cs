namespace ChangeNotifications.Tests.Infrastructure;

/// <summary>A temp directory of its own (for SQLite files), deleted on dispose when nothing holds it.</summary>
internal sealed class TempDirectory(string prefix) : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory(prefix);

    public string Path => _directory.FullName;

    public string File(string name) => System.IO.Path.Combine(_directory.FullName, name);

    public void Dispose()
    {
        try
        {
            _directory.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A SQLite handle (a pool's, or a child process's) may linger for a moment; the temp dir is left behind.
        }
    }
}
