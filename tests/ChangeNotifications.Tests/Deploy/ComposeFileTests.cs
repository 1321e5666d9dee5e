namespace ChangeNotifications.Tests.Deploy;

/// <summary>
/// docker-compose.yml validates with Compose (no Docker engine needed) and runs the image in its default: the emulator,
/// on 8080, with the data folder on a named volume.
/// </summary>
public sealed class ComposeFileTests
{
    [ComposeFact]
    public async Task Compose_file_validates_and_keeps_the_default_run()
    {
        var (exitCode, output, errors) = await DeployFiles.RunAsync(ComposeFactAttribute.Executable!, "-f", "docker-compose.yml", "config");

        Assert.True(exitCode == 0, $"compose config: exit {exitCode}\n{errors}");
        Assert.Contains("target: 8080", output, StringComparison.Ordinal);
        Assert.Contains("cn-data:/app/data", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Graph__Mode", output, StringComparison.Ordinal);
    }
}

/// <summary>
/// A test that needs Debian's <c>docker-compose</c> (Compose v1, whose normalised output the test reads). Skipped, with
/// the reason, where it is not installed; under CI (<c>CI=true</c>, where <c>.ci/run</c> installs it) it runs and fails instead.
/// </summary>
internal sealed class ComposeFactAttribute : FactAttribute
{
    public ComposeFactAttribute()
    {
        if (Executable is null && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Skip = "Compose is not installed (apt-get install --no-install-recommends docker-compose); CI installs it and runs this test.";
        }
    }

    /// <summary><c>docker-compose</c> from PATH; null when it is not installed.</summary>
    public static string? Executable { get; } = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
        .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(directory => Path.Combine(directory, "docker-compose"))
        .FirstOrDefault(File.Exists);
}
