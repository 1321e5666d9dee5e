using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace ChangeNotifications.Telemetry;

internal static class TelemetryServiceCollectionExtensions
{
    /// <summary>The standard variable that turns the OTLP export on (and says where to), as OpenTelemetry reads it.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>
    /// OpenTelemetry metrics: the service's meter (<see cref="ServiceMeter"/>) and ASP.NET Core's, exported over OTLP
    /// when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the other <c>OTEL_*</c> variables apply as usual), and to a
    /// Prometheus scrape endpoint when <c>Metrics:ScrapeToken</c> is set (<see cref="MapMetricsScraping"/>).
    /// </summary>
    public static IServiceCollection AddServiceTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(MetricsOptions.Section);
        services.AddOptions<MetricsOptions>().Bind(section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MetricsOptions>, MetricsOptionsValidator>());
        services.AddMetrics();

        var scrape = !string.IsNullOrEmpty(section[nameof(MetricsOptions.ScrapeToken)]);
        var otlp = !string.IsNullOrWhiteSpace(configuration[OtlpEndpointVariable]);
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceMeter.Name))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(ServiceMeter.Name).AddAspNetCoreInstrumentation();
                if (scrape)
                {
                    metrics.AddPrometheusExporter();
                }

                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }
            });
        return services;
    }

    /// <summary>
    /// <c>GET {Metrics:ScrapePath}</c> (<c>/metrics</c>): the Prometheus text, for a caller with the scrape token only;
    /// not mapped at all while <c>Metrics:ScrapeToken</c> is unset.
    /// </summary>
    public static IEndpointRouteBuilder MapMetricsScraping(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var options = endpoints.ServiceProvider.GetRequiredService<IOptions<MetricsOptions>>().Value;
        if (string.IsNullOrEmpty(options.ScrapeToken))
        {
            return endpoints;
        }

        var token = new ScrapeToken(options.ScrapeToken);
        endpoints.MapPrometheusScrapingEndpoint(
            options.ScrapePath,
            meterProvider: null,
            configureBranchedPipeline: branch => branch.Use(token.Guard),
            optionsName: null);
        return endpoints;
    }
}
