namespace ChangeNotifications.Tests.Infrastructure;

/// <summary>
/// A test that traces the service with <c>strace</c> (Debian package <c>strace</c>). Skipped, with the reason, where it
/// is not installed; under CI (<c>CI=true</c>, where <c>.ci/run</c> installs it) it runs and fails instead, so a missing
/// strace never passes silently.
/// </summary>
internal sealed class StraceFactAttribute : FactAttribute
{
    public StraceFactAttribute()
    {
        if (Executable is null && !IsCi)
        {
            Skip = "strace is not installed (apt-get install strace); CI installs it and runs this test.";
        }
    }

    /// <summary>strace's full path from PATH; null when it is not installed.</summary>
    public static string? Executable { get; } = InstalledTool.Find("strace");

    private static bool IsCi => InstalledTool.IsCi;
}

/// <summary>Debian tools some tests need, found on PATH; CI (<c>CI=true</c>) installs them.</summary>
internal static class InstalledTool
{
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The tool's full path from PATH; null when it is not installed.</summary>
    public static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);
}
