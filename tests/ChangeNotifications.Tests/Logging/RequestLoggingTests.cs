using System.Net;
using System.Text;
using ChangeNotifications.Logging;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChangeNotifications.Tests.Logging;

/// <summary>
/// The request log (Serilog's request-logging middleware) covers every request but the webhook POSTs: their hot path
/// logs its own outcomes, rate-limited, since anyone can call them.
/// </summary>
public sealed class RequestLoggingTests
{
    internal const string RequestLogCategory = "Serilog.AspNetCore.RequestLoggingMiddleware";

    [Fact]
    public async Task A_refused_webhook_request_leaves_the_intake_line_and_no_request_log_line()
    {
        using var service = new ServiceFactory();
        using var body = new StringContent("hello", Encoding.UTF8, "text/plain");

        var response = await service.CreateClient().PostAsync("/api/notifications", body);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        var logs = service.Logs.GetSnapshot();
        Assert.Contains(logs, r => r.Id.Id == 1012 && r.Level == LogLevel.Warning);
        Assert.DoesNotContain(logs, r => r.Category == RequestLogCategory);
    }

    [Fact]
    public async Task Hosting_diagnostics_are_off_whatever_the_configuration_says_and_the_service_logs_as_before()
    {
        // Enabled at any level, this category makes hosting start an Activity and a log scope for every request.
        using var service = new ServiceFactory().WithSetting($"Serilog:MinimumLevel:Override:{LoggingSetup.HostingDiagnosticsCategory}", "Verbose");
        var loggers = service.Services.GetRequiredService<ILoggerFactory>();

        var response = await service.CreateClient().GetAsync("/no-such-route");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.False(loggers.CreateLogger(LoggingSetup.HostingDiagnosticsCategory).IsEnabled(LogLevel.Critical));
        Assert.True(loggers.CreateLogger("ChangeNotifications.Receiving.NotificationIntake").IsEnabled(LogLevel.Information));
        Assert.DoesNotContain(service.Logs.GetSnapshot(), r => r.Category == LoggingSetup.HostingDiagnosticsCategory);
        Assert.Contains(service.Logs.GetSnapshot(), r => r.Category == RequestLogCategory);
    }

    [Fact]
    public async Task A_failed_request_elsewhere_is_in_the_request_log()
    {
        using var service = new ServiceFactory();

        var response = await service.CreateClient().GetAsync("/no-such-route");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var line = Assert.Single(service.Logs.GetSnapshot(), r => r.Category == RequestLogCategory);
        Assert.Equal(LogLevel.Warning, line.Level);
        Assert.Equal("/no-such-route", line.GetStructuredStateValue("RequestPath"));
    }
}
