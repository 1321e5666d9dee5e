using Serilog;

namespace ChangeNotifications.Logging;

/// <summary>
/// Serilog from the <c>Serilog</c> section of appsettings: a readable console line by default, compact JSON
/// when configured (see README). Log events also reach other registered providers (tests add a fake one).
/// Request logging writes failed requests only at Information and above: a line per Graph POST would drown
/// the per-batch lines intake writes already. A request whose client went away is logged at Debug.
/// </summary>
public static class LoggingSetup
{
    public static WebApplicationBuilder AddServiceLogging(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Logging.ClearProviders();
        builder.Services.AddSerilog(
            (services, configuration) => configuration
                .ReadFrom.Configuration(builder.Configuration)
                .ReadFrom.Services(services)
                .Enrich.FromLogContext(),
            preserveStaticLogger: true,
            writeToProviders: true);
        return builder;
    }

    public static WebApplication UseServiceRequestLogging(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseSerilogRequestLogging(options =>
        {
            options.GetLevel = (context, _, error) => error is not null || context.Response.StatusCode >= 500
                ? Serilog.Events.LogEventLevel.Error
                : context.Response.StatusCode is >= 400 and not StatusCodes.Status499ClientClosedRequest && !context.RequestAborted.IsCancellationRequested
                    ? Serilog.Events.LogEventLevel.Warning
                    : Serilog.Events.LogEventLevel.Debug;
        });
        return app;
    }
}
