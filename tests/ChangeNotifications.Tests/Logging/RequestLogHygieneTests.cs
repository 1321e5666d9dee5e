using System.Net;
using ChangeNotifications.Logging;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Serilog.Core;

namespace ChangeNotifications.Tests.Logging;

/// <summary>
/// Lines about requests: a path cannot forge a line of its own (CR, LF and other control characters are escaped), and
/// failed requests anywhere, which anyone can cause, write at most Receiving:LogLinesPerSecond lines a second.
/// </summary>
public sealed class RequestLogHygieneTests
{
    private const string ForgingPath = "/x%0D%0A[00:00:00 FTL] forged%0Aline";

    [Fact]
    public async Task A_path_with_CR_LF_writes_one_request_log_line_with_them_escaped()
    {
        var lines = new SerilogLines();
        using var service = new ServiceFactory().WithServices(s => s.AddSingleton<ILogEventSink>(lines));

        var response = await service.CreateClient().GetAsync(new Uri(ForgingPath, UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var written = Assert.Single(lines.Snapshot(), l => l.Text.Contains("forged", StringComparison.Ordinal));
        Assert.Equal(1, written.Text.Count(c => c == '\n'));
        Assert.EndsWith(Environment.NewLine, written.Text, StringComparison.Ordinal);
        Assert.Contains(@"/x\r\n[00:00:00 FTL] forged\nline", written.Text, StringComparison.Ordinal);
        Assert.DoesNotContain('\r', written.Text.TrimEnd());
        var record = Assert.Single(service.Logs.GetSnapshot(), r => r.Category == LoggingSetup.RequestLogCategory);
        Assert.Equal(@"/x\r\n[00:00:00 FTL] forged\nline", record.GetStructuredStateValue("RequestPath"));
    }

    [Fact]
    public async Task The_emulator_writes_a_refused_path_with_CR_LF_escaped()
    {
        var logs = new FakeLogCollector();
        using var loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(logs)));
        await using var emulator = await EmulatorFixture.StartAsync(o => o.LoggerFactory = loggers);
        using var http = await emulator.CreateAuthorizedHttpClientAsync();

        var response = await http.DeleteAsync(new Uri("v1.0/subscriptions" + ForgingPath, UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var refused = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 304);
        Assert.Contains(@"/x\u000D\u000A[00:00:00 FTL] forged\u000Aline", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', refused.Message);
        Assert.DoesNotContain('\r', refused.Message);
    }

    [Fact]
    public async Task Failed_requests_outside_the_webhooks_are_rate_limited_and_counted()
    {
        using var service = new ServiceFactory().WithSetting("Receiving:LogLinesPerSecond", "2");
        var client = service.CreateClient();

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/no-such-route/{i}")).StatusCode);
        }

        Assert.Equal(2, RequestLines(service).Count);
        service.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await client.GetAsync("/api/notifications")).StatusCode);

        Assert.Equal(3, RequestLines(service).Count);
        var summary = Assert.Single(service.Logs.GetSnapshot(), r => r.Id.Id == 102);
        Assert.Equal(LoggingSetup.RequestLogCategory, summary.Category);
        Assert.Equal("3", summary.GetStructuredStateValue("SuppressedCount"));
        Assert.Equal(LoggingSetup.RequestLogEvent.ToString(System.Globalization.CultureInfo.InvariantCulture), summary.GetStructuredStateValue("SuppressedEventId"));
    }

    private static List<FakeLogRecord> RequestLines(ServiceFactory service) =>
        [.. service.Logs.GetSnapshot().Where(r => r.Category == LoggingSetup.RequestLogCategory && r.Id.Id != 102)];
}
