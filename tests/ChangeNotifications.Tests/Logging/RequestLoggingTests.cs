using System.Net;
using System.Text;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace ChangeNotifications.Tests.Logging;

/// <summary>
/// The request log (Serilog's request-logging middleware) covers the service's other routes, not the webhook routes:
/// their hot path logs its own outcomes, rate-limited, since anyone can call them.
/// </summary>
public sealed class RequestLoggingTests
{
    private const string RequestLogCategory = "Serilog.AspNetCore.RequestLoggingMiddleware";

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
