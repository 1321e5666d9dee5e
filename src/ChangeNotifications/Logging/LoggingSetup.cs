using System.Collections.Concurrent;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Compliance.Classification;
using Microsoft.Extensions.Compliance.Redaction;
using Serilog;
using Serilog.Events;
using Serilog.Extensions.Hosting;
using Serilog.Extensions.Logging;

namespace ChangeNotifications.Logging;

/// <summary>
/// Serilog from the <c>Serilog</c> section of appsettings: a readable console line by default, compact JSON
/// when configured (see README). Every <see cref="ILogger"/> line goes through the platform's redacting logger factory
/// first, which erases parameters classified as personal data unless <c>Logging:PersonalData</c> allows them, and then
/// to Serilog as one of its providers (Serilog owning the factory would drop classified values altogether). Serilog's
/// levels decide: other providers (tests add a fake one) get what Serilog would write.
/// Request logging writes failed requests only, at most <c>Receiving:LogLinesPerSecond</c> a second, with the path
/// escaped (<see cref="LogText"/>); a line per Graph POST would drown the per-batch lines intake writes already. A
/// request whose client went away is logged at Debug. ASP.NET's hosting diagnostics category is off (above Fatal):
/// while any level of it is on, hosting starts an Activity and a log scope for every request, a noticeable share of a
/// handshake's CPU; the webhook lines name their endpoint, and the request log keeps the path of everything else.
/// </summary>
internal static partial class LoggingSetup
{
    /// <summary>The category whose being enabled makes hosting create an Activity and a log scope per request.</summary>
    public const string HostingDiagnosticsCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";

    /// <summary>The request log's category (Serilog's middleware).</summary>
    public const string RequestLogCategory = "Serilog.AspNetCore.RequestLoggingMiddleware";

    /// <summary>The rate limiter's key for request-log lines.</summary>
    public const int RequestLogEvent = 7400;

    /// <summary>The rate limiter's key for the exception handler's line about a request that failed with an exception.</summary>
    public const int UnhandledExceptionEvent = 7401;

    /// <summary>A Serilog level above <see cref="LogEventLevel.Fatal"/>: nothing of a category set to it is enabled.</summary>
    private const LogEventLevel Off = (LogEventLevel)(1 + (int)LogEventLevel.Fatal);

    public static WebApplicationBuilder AddServiceLogging(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Logging.ClearProviders();
        builder.Services.AddPersonalDataRedaction(LogOptions.PersonalDataAllowed(builder.Configuration));

        // Serilog's root logger, owned by the container: disposed at shutdown, which flushes the asynchronous sink.
        builder.Services.AddSingleton<Serilog.ILogger>(services => new LoggerConfiguration()
            .ReadFrom.Configuration(builder.Configuration)
            .ReadFrom.Services(services)
            .Enrich.FromLogContext()
            .MinimumLevel.Override(HostingDiagnosticsCategory, Off)
            .CreateLogger());
        builder.Services.AddSingleton(services => new DiagnosticContext(services.GetRequiredService<Serilog.ILogger>()));
        builder.Services.AddSingleton<IDiagnosticContext>(services => services.GetRequiredService<DiagnosticContext>());
        builder.Services.AddSingleton<ILoggerProvider>(services => new SerilogLoggerProvider(services.GetRequiredService<Serilog.ILogger>()));
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Services.AddOptions<LoggerFilterOptions>().Configure<Serilog.ILogger>((filters, serilog) =>
        {
            // Serilog's own provider needs no filter in front of it; the others get what Serilog would write.
            filters.Rules.Add(new LoggerFilterRule(typeof(SerilogLoggerProvider).FullName, null, LogLevel.Trace, null));
            var byCategory = new ConcurrentDictionary<string, Serilog.ILogger>(StringComparer.Ordinal);
            filters.Rules.Add(new LoggerFilterRule(null, null, null, (_, category, level) =>
                level != LogLevel.None && byCategory
                    .GetOrAdd(category ?? string.Empty, c => serilog.ForContext(Serilog.Core.Constants.SourceContextPropertyName, c))
                    .IsEnabled(ToSerilog(level))));
        });

        // The exception handler's line about a failed request: anyone can cause one, so it is rate-limited too.
        builder.Services.AddOptions<ExceptionHandlerOptions>().Configure<LogRateLimiter, ILoggerFactory>((options, limit, loggers) =>
        {
            var logger = loggers.CreateLogger("Microsoft.AspNetCore.Diagnostics.ExceptionHandlerMiddleware");
            options.SuppressDiagnosticsCallback = _ => !limit.ShouldLog(logger, LogLevel.Error, UnhandledExceptionEvent);
        });
        return builder;
    }

    /// <summary>
    /// The platform's redacting logger factory: parameters classified as <see cref="DataClasses.PersonalData"/> are
    /// written as they are when <paramref name="personalDataAllowed"/>, else erased (an empty value, in the line and in
    /// its property). Other classes (none yet) are erased.
    /// </summary>
    public static IServiceCollection AddPersonalDataRedaction(this IServiceCollection services, bool personalDataAllowed)
    {
        var personalData = new DataClassificationSet(DataClasses.PersonalData);
        services.AddRedaction(redaction =>
        {
            if (personalDataAllowed)
            {
                redaction.SetRedactor<NullRedactor>(personalData);
            }
            else
            {
                redaction.SetRedactor<ErasingRedactor>(personalData);
            }
        });

        // No class name appended to a value: it would change the personal data that is allowed through.
        return services.AddLogging(logging => logging.EnableRedaction(options => options.ApplyDiscriminator = false));
    }

    /// <summary>
    /// Serilog's request log (one line per failed request, at the level <c>GetLevel</c> picks). Program adds it outside
    /// the webhook POSTs only: their hot path logs its own outcomes (rate-limited, since anyone can call them), and a
    /// request-log line per Graph POST would cost CPU on every acknowledgement and flood the log.
    /// </summary>
    public static IApplicationBuilder UseServiceRequestLogging(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var services = app.ApplicationServices;
        var limit = services.GetRequiredService<LogRateLimiter>();
        var limitLogger = services.GetRequiredService<ILoggerFactory>().CreateLogger(RequestLogCategory);
        return app.UseSerilogRequestLogging(options =>
        {
            // Through the service's logger factory, as every other line: the providers beside Serilog see it too.
            options.Logger = new LoggerConfiguration()
                .MinimumLevel.Verbose()
                .WriteTo.Providers(new LoggerProviderCollection().With(new FactoryProvider(services.GetRequiredService<ILoggerFactory>())))
                .CreateLogger();
            options.GetLevel = (context, _, error) =>
            {
                var level = error is not null || context.Response.StatusCode >= 500
                    ? LogEventLevel.Error
                    : context.Response.StatusCode is >= 400 and not StatusCodes.Status499ClientClosedRequest && !context.RequestAborted.IsCancellationRequested
                        ? LogEventLevel.Warning
                        : LogEventLevel.Debug;
                return level < LogEventLevel.Warning
                    ? limitLogger.IsEnabled(ToLogLevel(level)) ? level : Off
                    : limit.ShouldLog(limitLogger, ToLogLevel(level), RequestLogEvent) ? level : Off;
            };
            // The scheme and host the service was called on (after forwarded headers), beside the line.
            options.EnrichDiagnosticContext = (diagnostics, context) =>
            {
                diagnostics.Set("RequestScheme", context.Request.Scheme);
                diagnostics.Set("RequestHost", LogText.Escape(context.Request.Host.Value));
            };
            options.GetMessageTemplateProperties = (context, path, elapsed, status) =>
            [
                new LogEventProperty("RequestMethod", new ScalarValue(LogText.Escape(context.Request.Method))),
                new LogEventProperty("RequestPath", new ScalarValue(LogText.Escape(path))),
                new LogEventProperty("StatusCode", new ScalarValue(status)),
                new LogEventProperty("Elapsed", new ScalarValue(elapsed)),
            ];
        });
    }

    private static LoggerProviderCollection With(this LoggerProviderCollection providers, ILoggerProvider provider)
    {
        providers.AddProvider(provider);
        return providers;
    }

    /// <summary>Serilog's request-log events handed to the service's logger factory under their own category.</summary>
    private sealed class FactoryProvider(ILoggerFactory loggers) : ILoggerProvider
    {
        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => loggers.CreateLogger(categoryName);

        public void Dispose()
        {
            // The factory belongs to the container.
        }
    }

    private static LogEventLevel ToSerilog(LogLevel level) => level switch
    {
        LogLevel.Trace => LogEventLevel.Verbose,
        LogLevel.Debug => LogEventLevel.Debug,
        LogLevel.Information => LogEventLevel.Information,
        LogLevel.Warning => LogEventLevel.Warning,
        LogLevel.Error => LogEventLevel.Error,
        _ => LogEventLevel.Fatal,
    };

    private static LogLevel ToLogLevel(LogEventLevel level) => level switch
    {
        LogEventLevel.Verbose => LogLevel.Trace,
        LogEventLevel.Debug => LogLevel.Debug,
        LogEventLevel.Information => LogLevel.Information,
        LogEventLevel.Warning => LogLevel.Warning,
        LogEventLevel.Error => LogLevel.Error,
        _ => LogLevel.Critical,
    };
}
