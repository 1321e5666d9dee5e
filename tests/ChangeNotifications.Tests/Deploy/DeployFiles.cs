using System.Diagnostics;
using System.Reflection;

namespace ChangeNotifications.Tests.Deploy;

/// <summary>The repository's deployment files and the tools that check them offline (the same as deploy/check.sh).</summary>
internal static class DeployFiles
{
    public static string RepositoryRoot { get; } = Metadata("RepositoryRoot");

    /// <summary>The Bicep CLI from the NuGet package the test project references.</summary>
    public static string Bicep { get; } = Metadata("BicepPath");

    public static string PathOf(string relative) => Path.Combine(RepositoryRoot, relative);

    /// <summary>Runs a tool to its end (bounded: a minute) in the repository root; its exit code and both outputs.</summary>
    public static async Task<(int ExitCode, string Output, string Errors)> RunAsync(string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{fileName} did not start.");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var errors = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await output, await errors);
    }

    private static string Metadata(string key) =>
        typeof(DeployFiles).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().SingleOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"Assembly metadata {key} is missing (see the test project file).");
}
