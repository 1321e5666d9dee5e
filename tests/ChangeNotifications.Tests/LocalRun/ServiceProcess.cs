using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace ChangeNotifications.Tests.LocalRun;

/// <summary>
/// The service as a separate process, started as the README's run command starts it
/// (<c>dotnet run --project src/ChangeNotifications</c>, here with <c>--no-build</c>: the test build already built it),
/// on a free loopback port and a SQLite file of its own, logging compact JSON so tests read structured properties.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<JsonElement> _events = new();
    private readonly ConcurrentQueue<string> _rawLines = new();

    private ServiceProcess(Process process, Uri baseAddress, string dataDirectory)
    {
        _process = process;
        BaseAddress = baseAddress;
        DataDirectory = dataDirectory;
        Started = Stopwatch.StartNew();
    }

    public Uri BaseAddress { get; }

    public string DataDirectory { get; }

    public Stopwatch Started { get; }

    public int ProcessId => _process.Id;

    public IReadOnlyCollection<JsonElement> Events => _events;

    public IReadOnlyCollection<string> RawLines => _rawLines;

    public static ServiceProcess Start(string? dataDirectory = null, IDictionary<string, string>? settings = null)
    {
        var root = RepositoryRoot();
        var port = FreePort();
        dataDirectory ??= Path.Combine(Path.GetTempPath(), "changenotifications-run", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDirectory);
        var start = new ProcessStartInfo("dotnet", ["run", "--no-build", "--project", Path.Combine(root, "src", "ChangeNotifications")])
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["Urls"] = $"http://127.0.0.1:{port}";
        start.Environment["Storage__SqlitePath"] = Path.Combine(dataDirectory, "changenotifications.db");
        start.Environment["Serilog__WriteTo__0__Args__configure__0__Args__formatter"] = "Serilog.Formatting.Compact.CompactJsonFormatter, Serilog.Formatting.Compact";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet run did not start");
        var service = new ServiceProcess(process, new Uri($"http://127.0.0.1:{port}"), dataDirectory);
        process.OutputDataReceived += (_, e) => service.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => service.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return service;
    }

    /// <summary>Waits until <paramref name="done"/> holds over the events seen so far, or <paramref name="timeout"/> runs out.</summary>
    public async Task<bool> WaitForAsync(Func<IReadOnlyCollection<JsonElement>, bool> done, TimeSpan timeout)
    {
        var until = Stopwatch.StartNew();
        while (until.Elapsed < timeout)
        {
            if (done(_events))
            {
                return true;
            }

            if (_process.HasExited)
            {
                return done(_events);
            }

            await Task.Delay(100);
        }

        return done(_events);
    }

    public void Kill() => _process.Kill(entireProcessTree: true);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    public static IEnumerable<JsonElement> WithEventId(IEnumerable<JsonElement> events, int id) =>
        events.Where(e => e.TryGetProperty("EventId", out var eventId) && eventId.TryGetProperty("Id", out var value) && value.GetInt32() == id);

    public static string? Property(JsonElement e, string name) =>
        e.TryGetProperty(name, out var value) ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText() : null;

    private void OnLine(string? line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return;
        }

        _rawLines.Enqueue(line);
        if (line.StartsWith('{'))
        {
            try
            {
                using var document = JsonDocument.Parse(line);
                _events.Enqueue(document.RootElement.Clone());
            }
            catch (JsonException)
            {
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "ChangeNotifications.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("ChangeNotifications.sln not found above the test binaries.");
    }
}
