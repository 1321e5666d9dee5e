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
        var service = ServiceBlock(output, "changenotifications");
        Assert.Contains("target: 8080", service, StringComparison.Ordinal);
        Assert.Contains("cn-data:/app/data", service, StringComparison.Ordinal);
        Assert.DoesNotContain("Graph__Mode", service, StringComparison.Ordinal);
        Assert.DoesNotContain("profiles", service, StringComparison.Ordinal);
    }

    /// <summary>The lines of one service in Compose's normalised output (indented under <c>services:</c>), so the
    /// checks read the default service and not the scale-out profile's.</summary>
    private static string ServiceBlock(string config, string name)
    {
        var lines = config.Split('\n');
        var start = Array.FindIndex(lines, l => l == $"  {name}:");
        Assert.True(start >= 0, $"no service {name} in:\n{config}");
        var block = lines.Skip(start + 1).TakeWhile(l => l.StartsWith("    ", StringComparison.Ordinal) || l.Length == 0);
        return string.Join('\n', block);
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
