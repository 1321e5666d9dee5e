namespace ChangeNotifications.Tests.Infrastructure;

/// <summary>
/// A test in real headless Chromium (Debian package <c>chromium</c>, driven by Playwright through
/// <see cref="Executable"/>: Playwright's own browser download cannot run here). Skipped, with the reason, where it is
/// not installed; under CI (<c>CI=true</c>, where <c>.ci/run</c> installs it) it runs and fails instead.
/// </summary>
internal sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (Executable is null && !InstalledTool.IsCi)
        {
            Skip = "chromium is not installed (apt-get install chromium); CI installs it and runs this test.";
        }
    }

    /// <summary>Chromium's full path from PATH; null when it is not installed.</summary>
    public static string? Executable { get; } = InstalledTool.Find("chromium");
}
