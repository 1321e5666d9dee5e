using System.Diagnostics.Metrics;
using System.Net;
using ChangeNotifications.Graph;
using ChangeNotifications.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace ChangeNotifications.Tests.Telemetry;

public sealed class GraphCallMetricsTests
{
    [Fact]
    public async Task Each_call_is_counted_by_status_and_429s_as_throttles()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        using var calls = new MetricCollector<long>(meters, ServiceMeter.Name, "changenotifications.graph.calls");
        using var throttles = new MetricCollector<long>(meters, ServiceMeter.Name, "changenotifications.graph.throttles");
        var answers = new Queue<HttpStatusCode>([HttpStatusCode.TooManyRequests, HttpStatusCode.OK]);
        var handler = new GraphCallMetrics(meters).CreateHandler();
        handler.InnerHandler = new Answering(() => answers.Dequeue());
        using var client = new HttpClient(handler);

        await client.GetAsync(new Uri("http://127.0.0.1/v1.0/users"));
        await client.GetAsync(new Uri("http://127.0.0.1/v1.0/users"));

        Assert.Equal([429, 200], calls.GetMeasurementSnapshot().Select(m => Convert.ToInt32(m.Tags["status"], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(1, Assert.Single(throttles.GetMeasurementSnapshot()).Value);
    }

    private sealed class Answering(Func<HttpStatusCode> status) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(status()));
    }
}
