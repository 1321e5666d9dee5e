using System.Net;
using System.Security.Cryptography.X509Certificates;
using ChangeNotifications.GraphEmulator.Auth;
using ChangeNotifications.GraphEmulator.Control;
using ChangeNotifications.GraphEmulator.Rich;
using ChangeNotifications.GraphEmulator.State;
using ChangeNotifications.GraphEmulator.Subscriptions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using ChangeNotifications.GraphEmulator.Tenant;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ChangeNotifications.GraphEmulator.Hosting;

/// <summary>
/// The Graph emulator running on its own Kestrel on 127.0.0.1 over HTTPS (a certificate made at start): Entra's token
/// endpoint at <see cref="AuthorityHost"/>, Graph at <see cref="GraphBaseUrl"/>, OpenID metadata for validation
/// tokens, and the control API (<see cref="Control"/>, and the same operations under <c>/_emulator</c>).
/// </summary>
public sealed class GraphEmulatorServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GraphEmulatorServer(WebApplication app, GraphEmulatorOptions options, X509Certificate2 certificate, Uri baseAddress)
    {
        _app = app;
        Options = options;
        Certificate = certificate;
        BaseAddress = baseAddress;
        Control = app.Services.GetRequiredService<EmulatorControl>();
    }

    /// <summary><c>https://127.0.0.1:{port}/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary><c>https://127.0.0.1:{port}/v1.0</c>: the base URL a GraphServiceClient is given.</summary>
    public Uri GraphBaseUrl => new(BaseAddress, "v1.0");

    /// <summary>The authority host for Azure.Identity (<c>https://127.0.0.1:{port}/</c>).</summary>
    public Uri AuthorityHost => BaseAddress;

    public int Port => BaseAddress.Port;

    public string TenantId => Options.TenantId;

    public string ClientId => Options.ClientId;

    public string ClientSecret => Options.ClientSecret;

    /// <summary>The self-signed TLS certificate the emulator serves; <see cref="CreateTrustingHandler"/> pins it.</summary>
    public X509Certificate2 Certificate { get; }

    public GraphEmulatorOptions Options { get; }

    /// <summary>In-process control API: changes, lifecycle events, faults, counters.</summary>
    public EmulatorControl Control { get; }

    public static Task<GraphEmulatorServer> StartAsync(GraphEmulatorOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);

        // The emulator is a host built inside another process's flow (the service's, a test's). Build it outside the
        // caller's execution context: a WebApplicationFactory listens for hosts built in its async flow and would
        // configure this one as its own (a TestServer instead of Kestrel: no address, nothing listening).
        using (ExecutionContext.SuppressFlow())
        {
            return Task.Run(() => BuildAndStartAsync(options, cancellationToken), cancellationToken);
        }
    }

    private static async Task<GraphEmulatorServer> BuildAndStartAsync(GraphEmulatorOptions options, CancellationToken cancellationToken)
    {
        var certificate = LoopbackCertificate.Create();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = typeof(GraphEmulatorServer).Assembly.GetName().Name });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Loopback, options.Port, listen => listen.UseHttps(certificate)));
        options.Tenant ??= new EmulatedTenant(options.TimeProvider);
        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        builder.Services.AddLogging(logging =>
        {
            logging.AddFilter("Microsoft", LogLevel.Warning);
            logging.AddProvider(new ForwardingLoggerProvider(options.LoggerFactory ?? NullLoggerFactory.Instance));
        });
        builder.Services.AddRouting();
        builder.Services.AddEmulatorServices(options);

        var app = builder.Build();
        try
        {
            // Before anything listens or changes: a restarted emulator serves its saved subscriptions and tenant.
            app.Services.GetService<EmulatorStateFile>()?.Load();
        }
        catch
        {
            await app.DisposeAsync();
            certificate.Dispose();
            throw;
        }

        app.Use(async (context, next) =>
        {
            // Graph answers its own failures with its error shape, so the SDK raises ODataError; so does the
            // emulator, with the cause in the message (an emulator bug should read as one in a test's failure).
            try
            {
                await next(context);
            }
            catch (Exception ex) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
            {
                await GraphError.Result(
                    context, StatusCodes.Status500InternalServerError, "InternalServerError",
                    $"Emulator failure: {ex.GetType().Name}: {ex.Message}", options.TimeProvider).ExecuteAsync(context);
            }
        });
        app.UseRouting();
        app.MapTokenEndpoint();
        app.MapSignInEndpoints();
        app.MapOpenIdEndpoints();
        var graph = app.MapGroup("/v1.0").AddEndpointFilter<GraphRequestFilter>();
        graph.MapSubscriptions();
        if (options.Tenant is IGraphEndpointContributor contributor)
        {
            contributor.MapGraphEndpoints(graph);
        }

        app.MapControlEndpoints();
        app.MapFallback((HttpContext context) => GraphError.Result(
            context, StatusCodes.Status400BadRequest, "BadRequest",
            $"Resource not found for the segment '{context.Request.Path.Value?.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()}'.",
            options.TimeProvider));

        await app.StartAsync(cancellationToken);
        var address = new Uri(app.Urls.Single().Replace("[::1]", "127.0.0.1", StringComparison.Ordinal) + "/");
        return new GraphEmulatorServer(app, options, certificate, address);
    }

    /// <summary>A handler that trusts exactly this emulator's certificate (pinning), for Graph and Azure.Identity clients.</summary>
    public HttpMessageHandler CreateTrustingHandler() => LoopbackCertificate.CreatePinningHandler(Certificate);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Certificate.Dispose();
    }
}
