using System.Diagnostics.Metrics;
using ChangeNotifications.Telemetry;

namespace ChangeNotifications.Graph;

/// <summary>
/// Every HTTP call the <c>GraphServiceClient</c> makes, by status (0: no answer), and the throttled ones (429, or 503
/// with <c>Retry-After</c>), counted by a handler at the end of the SDK's pipeline, so each of its retries counts too.
/// </summary>
internal sealed class GraphCallMetrics
{
    private readonly Counter<long> _calls;
    private readonly Counter<long> _throttles;

    public GraphCallMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(ServiceMeter.Name);
        _calls = meter.CreateCounter<long>("changenotifications.graph.calls", "{call}", "HTTP calls to Microsoft Graph (each retry counts), by status");
        _throttles = meter.CreateCounter<long>("changenotifications.graph.throttles", "{call}", "Graph calls answered 429, or 503 with Retry-After");
    }

    /// <summary>A new handler for one client's pipeline (a handler belongs to one pipeline only).</summary>
    public DelegatingHandler CreateHandler() => new Counting(this);

    private void Count(HttpResponseMessage? response)
    {
        var status = response is null ? 0 : (int)response.StatusCode;
        _calls.Add(1, new KeyValuePair<string, object?>("status", status));
        if (status == 429 || (status == 503 && response!.Headers.RetryAfter is not null))
        {
            _throttles.Add(1);
        }
    }

    private sealed class Counting(GraphCallMetrics metrics) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            HttpResponseMessage? response = null;
            try
            {
                response = await base.SendAsync(request, cancellationToken);
                return response;
            }
            finally
            {
                metrics.Count(response);
            }
        }
    }
}
