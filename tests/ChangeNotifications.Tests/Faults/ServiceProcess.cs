using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace ChangeNotifications.Tests.Faults;

/// <summary>
/// The built service (<c>dotnet ChangeNotifications.dll</c> from its own output folder) as a child process on a free
/// loopback port, over a SQLite file of the test's, logging compact JSON to stdout. <see cref="Kill"/> is SIGKILL.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(45);
    private readonly Process _process;
    private readonly ConcurrentQueue<JsonElement> _events = new();
    private readonly ConcurrentQueue<string> _text = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServiceProcess(Process process) => _process = process;

    public Uri BaseAddress { get; private set; } = null!;

    public int Id => _process.Id;

    /// <summary>The service's log events so far (compact JSON: <c>@mt</c>, <c>@l</c>, <c>EventId</c>, properties).</summary>
    public IReadOnlyCollection<JsonElement> Events => _events;

    /// <param name="port">0: a free one.</param>
    public static async Task<ServiceProcess> StartAsync(string databasePath, IReadOnlyDictionary<string, string>? settings = null, int port = 0)
    {
        var directory = ServiceOutputDirectory();
        var start = new ProcessStartInfo("dotnet", [Path.Combine(directory, "ChangeNotifications.dll"), "--urls", $"http://127.0.0.1:{port}"])
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["Storage__SqlitePath"] = databasePath;
        // Receiver-only: serves the subscriptions the test seeded and creates none (the configured items still need a
        // notification URL to pass validation, and port 0 gives none to derive; this one is never called).
        start.Environment["Subscriptions__Reconcile"] = "false";
        start.Environment["Subscriptions__NotificationUrl"] = "http://127.0.0.1:9/api/notifications";
        // The tests count what was handled before a SIGKILL from the log: a second, synchronous console sink in compact
        // JSON writes each event before the call returns (the configured one is asynchronous and may lose its buffer to
        // the kill). The test reads the JSON lines and skips the text ones.
        start.Environment["Serilog__WriteTo__1__Name"] = "Console";
        start.Environment["Serilog__WriteTo__1__Args__formatter"] = "Serilog.Formatting.Compact.CompactJsonFormatter, Serilog.Formatting.Compact";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var service = new ServiceProcess(Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start."));
        service._process.OutputDataReceived += (_, e) => service.OnLine(e.Data);
        service._process.ErrorDataReceived += (_, e) => service.OnLine(e.Data);
        service._process.BeginOutputReadLine();
        service._process.BeginErrorReadLine();
        try
        {
            service.BaseAddress = await service._listening.Task.WaitAsync(StartTimeout);
        }
        catch (TimeoutException)
        {
            await service.DisposeAsync();
            throw new TimeoutException($"The service did not listen within {StartTimeout}. Its last lines:\n{string.Join('\n', service._text.TakeLast(15))}");
        }

        return service;
    }

    /// <summary>SIGKILL: no shutdown, no flush, no disposal.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: false);
        _process.WaitForExit();
    }

    /// <summary>A loopback port free right now (for a service that must come back on the same address).</summary>
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Events with <paramref name="eventId"/>.</summary>
    public IReadOnlyList<JsonElement> EventsWithId(int eventId) =>
        Events.Where(e => e.TryGetProperty("EventId", out var id) && id.TryGetProperty("Id", out var n) && n.GetInt32() == eventId).ToList();

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        if (!line.StartsWith('{'))
        {
            _text.Enqueue(line);
            return;
        }

        JsonElement element;
        try
        {
            element = JsonDocument.Parse(line).RootElement.Clone();
        }
        catch (JsonException)
        {
            return;
        }

        _events.Enqueue(element);
        if (element.TryGetProperty("address", out var address)
            && address.GetString() is { } url
            && url.StartsWith("http://", StringComparison.Ordinal))
        {
            _listening.TrySetResult(new Uri(url));
        }
    }

    /// <summary>src/ChangeNotifications/bin/{the tests' configuration}/net10.0, built with the tests (project reference).</summary>
    private static string ServiceOutputDirectory()
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = testOutput.Parent!.Name;
        var root = testOutput;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "ChangeNotifications.sln")))
        {
            root = root.Parent;
        }

        var directory = Path.Combine(root?.FullName ?? throw new DirectoryNotFoundException("No ChangeNotifications.sln above the test output."),
            "src", "ChangeNotifications", "bin", configuration, testOutput.Name);
        return File.Exists(Path.Combine(directory, "ChangeNotifications.dll"))
            ? directory
            : throw new FileNotFoundException($"The service is not built in {directory}.");
    }
}
