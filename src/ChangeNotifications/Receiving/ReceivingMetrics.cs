using System.Diagnostics.Metrics;
using ChangeNotifications.Telemetry;

namespace ChangeNotifications.Receiving;

/// <summary>
/// Instruments of intake, on the service's meter: items received, stored and rejected (by reason), requests refused
/// (by status) and the acknowledgement's latency. Each request adds to a counter once, with one tag, so the
/// acknowledgement's path pays a few atomic adds and allocates nothing. (Redeliveries are stored like any item and
/// recognised when claimed: the inbox logs them, event 1102.)
/// </summary>
internal sealed class ReceivingMetrics
{
    /// <summary>Graph's rule: an endpoint that answers over this is slow, and too many slow answers get it dropped.</summary>
    public static readonly TimeSpan SlowAnswer = TimeSpan.FromSeconds(2.9);

    private const string EndpointTag = "endpoint";

    /// <summary>Histogram buckets (s) fine where acknowledgements live and with Graph's 2.9 s and 3 s limits as edges.</summary>
    private static readonly IReadOnlyList<double> AcknowledgementBuckets =
        [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 2.9, 3, 5];

    private readonly Counter<long> _received;
    private readonly Counter<long> _stored;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _rejectedRequests;
    private readonly Histogram<double> _acknowledgement;
    private readonly SlowAnswerWindow _slow;
    private long _droppedTotal;

    public ReceivingMetrics(IMeterFactory meterFactory, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(ServiceMeter.Name);
        _slow = new SlowAnswerWindow(time);
        _received = meter.CreateCounter<long>(
            "changenotifications.notifications.received", "{notification}", "Items in the webhook requests read, before any check");
        _stored = meter.CreateCounter<long>(
            "changenotifications.notifications.stored", "{notification}", "Items stored in the inbox and answered 202");
        _rejected = meter.CreateCounter<long>(
            "changenotifications.notifications.rejected", "{notification}", "Items not stored: unknown subscription, wrong clientState, invalid item (tag reason)");
        _rejectedRequests = meter.CreateCounter<long>(
            "changenotifications.requests.rejected", "{request}", "Webhook requests answered 400, 413, 415 or 503 (tag status)");
        _acknowledgement = meter.CreateHistogram(
            "changenotifications.acknowledgement.duration",
            "s",
            "Time from a webhook request reaching its endpoint to its answer being written",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = AcknowledgementBuckets });
        meter.CreateObservableGauge(
            "changenotifications.acknowledgement.slow_share",
            () => _slow.Share(),
            "1",
            "Share of the webhook answers of the last 10 minutes that took over 2.9 s (Graph throttles, then drops, slow endpoints)");
    }

    /// <summary>Items dropped since start (unknown subscription, wrong clientState, invalid item).</summary>
    public long DroppedTotal => Interlocked.Read(ref _droppedTotal);

    public void Received(int count, string endpoint) => _received.Add(count, new KeyValuePair<string, object?>(EndpointTag, endpoint));

    public void Stored(int count, string endpoint) => _stored.Add(count, new KeyValuePair<string, object?>(EndpointTag, endpoint));

    public void Dropped(DropReason reason)
    {
        Interlocked.Increment(ref _droppedTotal);
        _rejected.Add(1, new KeyValuePair<string, object?>("reason", DropReasons.Name(reason)));
    }

    public void RejectedRequest(int statusCode) =>
        _rejectedRequests.Add(1, new KeyValuePair<string, object?>("status", statusCode));

    /// <summary>A webhook request was answered <paramref name="elapsed"/> after it reached its endpoint.</summary>
    public void Answered(TimeSpan elapsed, string endpoint)
    {
        _acknowledgement.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>(EndpointTag, endpoint));
        _slow.Add(elapsed > SlowAnswer);
    }
}

internal enum DropReason
{
    InvalidItem,
    UnknownSubscription,
    ClientStateMismatch,
}

/// <summary>The reasons' names, made once (an enum's ToString allocates on every call).</summary>
internal static class DropReasons
{
    private static readonly string[] Names = Enum.GetNames<DropReason>();

    public static string Name(DropReason reason) => Names[(int)reason];
}
