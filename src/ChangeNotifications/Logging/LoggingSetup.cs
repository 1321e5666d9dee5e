using Serilog;

namespace ChangeNotifications.Logging;

/// <summary>
/// Serilog from the <c>Serilog</c> section of appsettings: a readable console line by default, compact JSON
/// when configured (see README). Log events also reach other registered providers (tests add a fake one).
/// Request logging writes failed requests only at Information and above: a line per Graph POST would drown
/// the per-batch lines intake writes already. A request whose client went away is logged at Debug. ASP.NET's hosting
/// diagnostics category is off (above Fatal): while any level of it is on, hosting starts an Activity and a log scope
/// for every request (RequestId, RequestPath, ConnectionId on each line written during it), a noticeable share of a
/// handshake's CPU;
/// the webhook lines name their endpoint, and the request log keeps the path of everything else.
/// </summary>
internal static class LoggingSetup
{
    /// <summary>The category whose being enabled makes hosting create an Activity and a log scope per request.</summary>
    public const string HostingDiagnosticsCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";

    /// <summary>A Serilog level above <see cref="Serilog.Events.LogEventLevel.Fatal"/>: nothing of a category set to it is enabled.</summary>
    private const Serilog.Events.LogEventLevel Off = (Serilog.Events.LogEventLevel)(1 + (int)Serilog.Events.LogEventLevel.Fatal);

    public static WebApplicationBuilder AddServiceLogging(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Logging.ClearProviders();
        builder.Services.AddSerilog(
            (services, configuration) => configuration
                .ReadFrom.Configuration(builder.Configuration)
                .ReadFrom.Services(services)
                .Enrich.FromLogContext()
                .MinimumLevel.Override(HostingDiagnosticsCategory, Off),
            preserveStaticLogger: true,
            writeToProviders: true);
        return builder;
    }

    /// <summary>
    /// Serilog's request log (one line per request, at the level <c>GetLevel</c> picks). Program adds it outside the
    /// webhook POSTs only: their hot path logs its own outcomes (rate-limited, since anyone can call them), and a
    /// request-log line per Graph POST would cost CPU on every acknowledgement and flood the log.
    /// </summary>
    public static IApplicationBuilder UseServiceRequestLogging(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var logger = app.ApplicationServices.GetRequiredService<Serilog.ILogger>();
        return app.UseSerilogRequestLogging(options =>
        {
            // The service's logger: the middleware otherwise writes to Serilog's static logger, which this
            // service leaves silent (preserveStaticLogger), and its lines were lost.
            options.Logger = logger;
            options.GetLevel = (context, _, error) => error is not null || context.Response.StatusCode >= 500
                ? Serilog.Events.LogEventLevel.Error
                : context.Response.StatusCode is >= 400 and not StatusCodes.Status499ClientClosedRequest && !context.RequestAborted.IsCancellationRequested
                    ? Serilog.Events.LogEventLevel.Warning
                    : Serilog.Events.LogEventLevel.Debug;
        });
    }
}
