using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace ChangeNotifications.Tests.Infrastructure;

/// <summary>
/// The service as a child process (started as <see cref="ServiceLaunch"/> says) on a loopback port, over a SQLite file
/// of the test's, logging compact JSON to stdout so tests read structured properties (<c>@mt</c>, <c>@l</c>,
/// <c>EventId</c>, properties). <see cref="StartAsync"/> returns once the service logged that it is listening.
/// <see cref="Kill"/> is SIGKILL.
/// </summary>
internal sealed class ServiceProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly Process _process;
    private readonly ConcurrentQueue<JsonElement> _events = new();
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _ownDatabase;

    private ServiceProcess(Process process)
    {
        _process = process;
        Started = Stopwatch.StartNew();
    }

    /// <summary>Where the service said it listens.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Since the process was started.</summary>
    public Stopwatch Started { get; }

    public int Id => _process.Id;

    /// <summary>The service's log events so far.</summary>
    public IReadOnlyCollection<JsonElement> Events => _events;

    /// <summary>Every non-blank line of stdout and stderr so far, JSON or not.</summary>
    public IReadOnlyCollection<string> Lines => _lines;

    /// <summary>Settings that say where the service listens: with any of them, the test's own decide, not a loopback <c>Urls</c>.</summary>
    private static readonly HashSet<string> ListenSettings = new(StringComparer.OrdinalIgnoreCase)
    {
        "Urls", "ASPNETCORE_URLS", "PORT", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS",
    };

    /// <param name="launch">How to start it.</param>
    /// <param name="databasePath">null: a new file in a temp directory.</param>
    /// <param name="settings">Configuration keys (<c>:</c> or <c>__</c> separated) and values, on top of the launch's.</param>
    /// <param name="port">null: see <see cref="ServiceLaunch"/>.</param>
    /// <param name="runUnder">A command the service runs under, its own command line appended (e.g. <c>strace … --</c>);
    /// null: started directly.</param>
    public static async Task<ServiceProcess> StartAsync(
        ServiceLaunch launch, string? databasePath = null, IReadOnlyDictionary<string, string>? settings = null, int? port = null,
        IReadOnlyList<string>? runUnder = null)
    {
        var start = StartInfo(launch);
        if (runUnder is { Count: > 0 })
        {
            string[] command = [.. runUnder.Skip(1), start.FileName, .. start.ArgumentList];
            start.FileName = runUnder[0];
            start.ArgumentList.Clear();
            foreach (var argument in command)
            {
                start.ArgumentList.Add(argument);
            }
        }

        settings ??= new Dictionary<string, string>();
        if (!settings.Keys.Any(ListenSettings.Contains))
        {
            port ??= launch == ServiceLaunch.DotnetRun ? FreePort() : 0;
            start.Environment["Urls"] = $"http://127.0.0.1:{port}";
        }

        var ownDatabase = databasePath is null ? TempPaths.NewDatabase() : null;
        start.Environment["Storage__SqlitePath"] = databasePath ?? ownDatabase;
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var service = new ServiceProcess(Process.Start(start) ?? throw new InvalidOperationException($"{start.FileName} did not start."))
        {
            _ownDatabase = ownDatabase,
        };
        service._process.EnableRaisingEvents = true;
        service._process.Exited += (_, _) => service.OnExited();
        service._process.OutputDataReceived += (_, e) => service.OnLine(e.Data);
        service._process.ErrorDataReceived += (_, e) => service.OnLine(e.Data);
        service._process.BeginOutputReadLine();
        service._process.BeginErrorReadLine();
        try
        {
            service.BaseAddress = await service._listening.Task.WaitAsync(StartTimeout);
        }
        catch (ServiceExitedException)
        {
            await service.DisposeAsync();
            throw;
        }
        catch (TimeoutException)
        {
            await service.DisposeAsync();
            throw new TimeoutException($"The service did not listen within {StartTimeout}. Its last lines:\n{string.Join('\n', service._lines.TakeLast(15))}");
        }

        return service;
    }

    /// <summary>Waits until <paramref name="done"/> holds over the events seen so far, the process exits, or <paramref name="timeout"/> runs out.</summary>
    public async Task<bool> WaitForAsync(Func<IReadOnlyCollection<JsonElement>, bool> done, TimeSpan timeout)
    {
        var until = Stopwatch.StartNew();
        while (until.Elapsed < timeout && !_process.HasExited)
        {
            if (done(_events))
            {
                return true;
            }

            await Task.Delay(100);
        }

        return done(_events);
    }

    /// <summary>SIGKILL (the whole tree: under <c>dotnet run</c> the service is a grandchild): no shutdown, no flush, no disposal.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        if (_ownDatabase is not null)
        {
            TempPaths.DeleteFolderOf(_ownDatabase);
        }
    }

    /// <summary>Events with <paramref name="eventId"/>.</summary>
    public IReadOnlyList<JsonElement> EventsWithId(int eventId) => WithEventId(Events, eventId).ToList();

    public static IEnumerable<JsonElement> WithEventId(IEnumerable<JsonElement> events, int eventId) =>
        events.Where(e => e.TryGetProperty("EventId", out var id) && id.TryGetProperty("Id", out var n) && n.GetInt32() == eventId);

    /// <summary>A property's string, or its JSON text when it is not a string; null when absent.</summary>
    public static string? Property(JsonElement e, string name) =>
        e.TryGetProperty(name, out var value) ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText() : null;

    /// <summary>A loopback port free right now (for a service that must come back on the same address).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static ProcessStartInfo StartInfo(ServiceLaunch launch)
    {
        var root = RepositoryRoot();
        var start = launch switch
        {
            ServiceLaunch.DotnetRun => new ProcessStartInfo("dotnet", ["run", "--no-build", "--project", Path.Combine(root, "src", "ChangeNotifications")])
            {
                WorkingDirectory = root,
            },
            ServiceLaunch.ReceiverDll => new ProcessStartInfo("dotnet", [Path.Combine(ServiceOutputDirectory(root), "ChangeNotifications.dll")])
            {
                WorkingDirectory = ServiceOutputDirectory(root),
            },
            _ => throw new ArgumentOutOfRangeException(nameof(launch), launch, null),
        };
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        const string compactJson = "Serilog.Formatting.Compact.CompactJsonFormatter, Serilog.Formatting.Compact";
        if (launch == ServiceLaunch.DotnetRun)
        {
            start.Environment["Serilog__WriteTo__0__Args__configure__0__Args__formatter"] = compactJson;
            return start;
        }

        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        // Receiver-only: the configured items still need a notification URL to pass validation, and port 0 gives none
        // to derive; this one is never called.
        start.Environment["Subscriptions__Reconcile"] = "false";
        start.Environment["Subscriptions__NotificationUrl"] = "http://127.0.0.1:9/api/notifications";
        start.Environment["Serilog__WriteTo__1__Name"] = "Console";
        start.Environment["Serilog__WriteTo__1__Args__formatter"] = compactJson;
        return start;
    }

    /// <summary>An exit before listening fails <see cref="StartAsync"/> at once, with the exit code and every line.</summary>
    private void OnExited()
    {
        _process.WaitForExit(); // the redirected streams are read to their end
        _listening.TrySetException(new ServiceExitedException(_process.ExitCode, [.. _lines]));
    }

    private void OnLine(string? line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return;
        }

        _lines.Enqueue(line);
        if (!line.StartsWith('{'))
        {
            return;
        }

        JsonElement element;
        try
        {
            using var document = JsonDocument.Parse(line);
            element = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return;
        }

        _events.Enqueue(element);
        if (Property(element, "address") is { } url && url.StartsWith("http://", StringComparison.Ordinal))
        {
            _listening.TrySetResult(new Uri(url));
        }
    }

    internal static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "ChangeNotifications.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("ChangeNotifications.sln not found above the test binaries.");
    }

    /// <summary>src/ChangeNotifications/bin/{the tests' configuration}/{framework}, built with the tests (project reference).</summary>
    internal static string ServiceOutputDirectory(string root)
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var directory = Path.Combine(root, "src", "ChangeNotifications", "bin", testOutput.Parent!.Name, testOutput.Name);
        return File.Exists(Path.Combine(directory, "ChangeNotifications.dll"))
            ? directory
            : throw new FileNotFoundException($"The service is not built in {directory}.");
    }
}

/// <summary>The service exited before it listened.</summary>
internal sealed class ServiceExitedException(int exitCode, IReadOnlyList<string> lines)
    : Exception($"The service exited with code {exitCode} before listening. Its last lines:\n{string.Join('\n', lines.TakeLast(15))}")
{
    public int ExitCode { get; } = exitCode;

    /// <summary>Every non-blank line of stdout and stderr.</summary>
    public IReadOnlyList<string> Lines { get; } = lines;
}
