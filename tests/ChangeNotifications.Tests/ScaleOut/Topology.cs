using System.Diagnostics;
using System.Net.Security;
using System.Security.Cryptography;
using System.Text.Json;
using ChangeNotifications.Tests.Infrastructure;

namespace ChangeNotifications.Tests.ScaleOut;

/// <summary>
/// <c>scripts/topology.sh</c> run by a test: PostgreSQL, the Graph emulator as a process of its own, the service instances
/// (the tests' build, logging compact JSON) and nginx in front, on free loopback ports in a temp folder; stopped by the
/// script (by PID) at dispose.
/// </summary>
internal sealed class Topology : IAsyncDisposable
{
    private readonly TempDirectory _folder = new("cn-topology-");
    private readonly Dictionary<string, string> _environment;

    private Topology(int instances, IReadOnlyDictionary<string, string> settings)
    {
        Instances = instances;
        BalancerPort = ServiceProcess.FreePort();
        var root = ServiceProcess.RepositoryRoot();
        Script = Path.Combine(root, "scripts", "topology.sh");
        _environment = new Dictionary<string, string>
        {
            ["TOPOLOGY_DIR"] = _folder.Path,
            ["TOPOLOGY_INSTANCES"] = instances.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["TOPOLOGY_INSTANCE_PORTS"] = string.Join(' ', Enumerable.Range(0, instances).Select(_ => ServiceProcess.FreePort())),
            ["TOPOLOGY_LB_PORT"] = BalancerPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["TOPOLOGY_PG_PORT"] = ServiceProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["TOPOLOGY_EMULATOR_PORT"] = ServiceProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["TOPOLOGY_EMULATOR_PACE"] = "0",
            // Graph's slow / drop states off: on 2 busy cores a cold instance's first answers can be slow, and a few of
            // them would stop deliveries for ten minutes. What is tested is what happens to what was answered.
            ["TOPOLOGY_EMULATOR_ARGS"] = "--slow-ratio 2 --drop-ratio 2",
            ["TOPOLOGY_NO_BUILD"] = "1",
            ["TOPOLOGY_CONFIGURATION"] = new DirectoryInfo(ServiceProcess.ServiceOutputDirectory(root)).Parent!.Name,
            ["Serilog__WriteTo__0__Args__configure__0__Args__formatter"] = "Serilog.Formatting.Compact.CompactJsonFormatter, Serilog.Formatting.Compact",
        };
        foreach (var (key, value) in settings)
        {
            _environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        if (PostgresServer.BinFolder is { } bin)
        {
            _environment["TOPOLOGY_PG_BIN"] = bin;
        }
    }

    public int Instances { get; }

    public int BalancerPort { get; }

    public Uri Balancer => new($"http://127.0.0.1:{BalancerPort}/");

    public string Script { get; }

    public string Folder => _folder.Path;

    /// <param name="settings">Service settings (<c>:</c>-separated keys) every instance gets through its environment.</param>
    public static async Task<Topology> StartAsync(int instances, IReadOnlyDictionary<string, string> settings)
    {
        var topology = new Topology(instances, settings);
        try
        {
            await topology.RunAsync(TimeSpan.FromMinutes(3), "start");
        }
        catch
        {
            await topology.DisposeAsync();
            throw;
        }

        return topology;
    }

    /// <summary>SIGKILL of instance <paramref name="instance"/> (1-based), by the script, by its PID.</summary>
    public Task KillAsync(int instance) => RunAsync(TimeSpan.FromSeconds(30), "kill", instance.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public Task StartInstanceAsync(int instance) => RunAsync(TimeSpan.FromMinutes(2), "start-instance", instance.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Every compact-JSON event instance <paramref name="instance"/> logged, over all its runs (the log is appended to).</summary>
    public IReadOnlyList<JsonElement> Events(int instance)
    {
        var path = Path.Combine(Folder, $"instance-{instance}.log");
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var events = new List<JsonElement>();
        while (reader.ReadLine() is { } line)
        {
            if (line.StartsWith('{') && line.EndsWith('}'))
            {
                events.Add(JsonDocument.Parse(line).RootElement.Clone());
            }
        }

        return events;
    }

    /// <summary>A client of the emulator's control API, trusting exactly its certificate (the hash it printed).</summary>
    public HttpClient EmulatorClient()
    {
        var expected = Convert.FromHexString(File.ReadAllText(Path.Combine(Folder, "run", "emulator.sha256")).Trim());
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    certificate is not null && CryptographicOperations.FixedTimeEquals(certificate.GetCertHash(HashAlgorithmName.SHA256), expected),
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{_environment["TOPOLOGY_EMULATOR_PORT"]}/") };
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunAsync(TimeSpan.FromMinutes(1), "stop");
        }
        finally
        {
            _folder.Dispose();
        }
    }

    private async Task RunAsync(TimeSpan timeout, params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in _environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("bash did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cancel.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"topology.sh {string.Join(' ', arguments)} exited with {process.ExitCode}: {await output}{await error}");
        }
    }
}
