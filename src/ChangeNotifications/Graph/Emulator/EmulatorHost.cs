using ChangeNotifications.GraphEmulator.Hosting;
using ChangeNotifications.GraphEmulator.Tenant;
using ChangeNotifications.Storage;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Graph.Emulator;

/// <summary>
/// In Emulator mode, starts the in-process Graph emulator in <see cref="StartingAsync"/>, before any hosted service
/// starts (so registration order does not matter), and stops it after they have all stopped; with
/// <c>Graph:Emulator:Url</c> it starts none and points at that emulator instead. Idle in Live mode.
/// </summary>
internal sealed partial class EmulatorHost(
    IOptions<GraphOptions> options,
    TimeProvider timeProvider,
    ILoggerFactory loggerFactory,
    IServiceProvider services,
    ILogger<EmulatorHost> logger) : IHostedLifecycleService, IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly Lock _gate = new();
    private Task<GraphEmulatorServer>? _starting;

    public bool IsEnabled => options.Value.Mode == GraphMode.Emulator;

    /// <summary>The emulator runs in a process of its own (<c>Graph:Emulator:Url</c>): nothing to start here.</summary>
    public bool IsRemote => IsEnabled && options.Value.Emulator.Url is not null;

    /// <summary>Where the emulator is, once it runs (at once when it is remote); starts the in-process one on first use.</summary>
    public async Task<EmulatorEndpoint> GetEndpointAsync() =>
        IsRemote ? Remote() : EmulatorEndpoint.Of(await GetServerAsync());

    /// <summary>Where the emulator is, for what cannot wait; throws before the in-process one has started.</summary>
    internal EmulatorEndpoint Endpoint => IsRemote ? Remote() : EmulatorEndpoint.Of(Server);

    /// <summary>Whether <see cref="Endpoint"/> can be read now.</summary>
    internal bool IsReady => IsRemote || IsRunning;

    /// <summary>The running emulator (its addresses, certificate, control API); starts it on first use.</summary>
    public Task<GraphEmulatorServer> GetServerAsync()
    {
        if (!IsEnabled)
        {
            throw new InvalidOperationException($"{GraphOptions.Section}:Mode is Live: there is no emulator.");
        }

        if (IsRemote)
        {
            throw new InvalidOperationException($"{GraphOptions.Section}:Emulator:Url is set: the emulator runs in a process of its own.");
        }

        lock (_gate)
        {
            return _starting ??= StartServerAsync();
        }
    }

    /// <summary>Raised once the emulator's address is known (in <see cref="StartingAsync"/>).</summary>
    internal event Action<EmulatorEndpoint>? EndpointReady;

    /// <summary>Whether the emulator has started (and not stopped since).</summary>
    internal bool IsRunning => Started() is not null;

    /// <summary>
    /// The running emulator, for what needs it without waiting (the host starts it before its hosted services, and
    /// <see cref="GraphEndpoints"/> is taken when a request is made); throws before it has started.
    /// </summary>
    internal GraphEmulatorServer Server =>
        Started() ?? throw new InvalidOperationException("The Graph emulator is not running yet: the host starts it before its hosted services.");

    private GraphEmulatorServer? Started()
    {
        lock (_gate)
        {
            return IsEnabled && _starting is { IsCompletedSuccessfully: true } started ? started.Result : null;
        }
    }

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        if (IsRemote)
        {
            var remote = Remote();
            LogRemote(logger, remote.GraphBaseUrl, remote.AuthorityHost);
            EndpointReady?.Invoke(remote);
        }
        else if (IsEnabled)
        {
            var server = await GetServerAsync().WaitAsync(cancellationToken);
            EndpointReady?.Invoke(EmulatorEndpoint.Of(server));
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Stops the emulator after every hosted service has stopped, so none loses Graph while stopping.</summary>
    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        Task<GraphEmulatorServer>? starting;
        lock (_gate)
        {
            starting = _starting;
            _starting = null;
        }

        if (starting is { IsCompletedSuccessfully: true })
        {
            await starting.Result.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync() => await StoppedAsync(CancellationToken.None);

    private async Task<GraphEmulatorServer> StartServerAsync()
    {
        var graph = options.Value;
        var emulatorOptions = new GraphEmulatorOptions
        {
            Port = graph.Emulator.Port,
            TimeProvider = timeProvider,
            LoggerFactory = loggerFactory,
            Tenant = services.GetService<IEmulatedTenant>(),
            TenantId = string.IsNullOrWhiteSpace(graph.TenantId) ? SeedIds.TenantId : graph.TenantId,
            ClientId = string.IsNullOrWhiteSpace(graph.ClientId) ? SeedIds.ClientId : graph.ClientId,
            ChangePace = graph.Emulator.ChangePace,
            AccessTokenLifetime = graph.Emulator.AccessTokenLifetime,
            AllowHttpLoopbackNotificationUrls = true,
            StatePath = StatePath(graph.Emulator),
        };
        using var timeout = new CancellationTokenSource(StartTimeout);
        var server = await GraphEmulatorServer.StartAsync(emulatorOptions, timeout.Token);
        LogStarted(logger, server.GraphBaseUrl, server.AuthorityHost);
        return server;
    }

    private EmulatorEndpoint Remote()
    {
        var graph = options.Value;
        return EmulatorEndpoint.Remote(graph.Emulator.Url!, graph.Emulator.CertificateSha256!, graph.TenantId, graph.ClientId);
    }

    /// <summary>The emulator's state file in the service's data folder, so the folder holds both halves of a run.</summary>
    private string? StatePath(GraphEmulatorSettings settings) =>
        string.IsNullOrWhiteSpace(settings.StateFile) || services.GetService<DataFolder>() is not { } folder
            ? null
            : Path.Combine(folder.Path, settings.StateFile);

    [LoggerMessage(EventId = 3000, Level = LogLevel.Information, Message = "Graph emulator started: Graph at {GraphBaseUrl}, token endpoint at {AuthorityHost}")]
    private static partial void LogStarted(ILogger logger, Uri graphBaseUrl, Uri authorityHost);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Graph emulator of another process used: Graph at {GraphBaseUrl}, token endpoint at {AuthorityHost}")]
    private static partial void LogRemote(ILogger logger, Uri graphBaseUrl, Uri authorityHost);
}
