using System.Diagnostics.Metrics;

namespace ChangeNotifications.Receiving;

/// <summary>Counters of intake: what was accepted, what was dropped and why. (Redeliveries are stored like any
/// item and recognised when claimed: the inbox logs them, event 1102.)</summary>
internal sealed class ReceivingMetrics
{
    public const string MeterName = "ChangeNotifications.Receiving";

    private readonly Counter<long> _accepted;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _rejectedRequests;
    private long _droppedTotal;

    public ReceivingMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        _accepted = meter.CreateCounter<long>("changenotifications.notifications.accepted");
        _dropped = meter.CreateCounter<long>("changenotifications.notifications.dropped");
        _rejectedRequests = meter.CreateCounter<long>("changenotifications.requests.rejected");
    }

    /// <summary>Items dropped since start (unknown subscription, wrong clientState, invalid item).</summary>
    public long DroppedTotal => Interlocked.Read(ref _droppedTotal);

    public void Accepted(int count) => _accepted.Add(count);

    public void Dropped(DropReason reason)
    {
        Interlocked.Increment(ref _droppedTotal);
        _dropped.Add(1, new KeyValuePair<string, object?>("reason", reason.ToString()));
    }

    public void RejectedRequest(int statusCode) =>
        _rejectedRequests.Add(1, new KeyValuePair<string, object?>("status", statusCode));
}

internal enum DropReason
{
    InvalidItem,
    UnknownSubscription,
    ClientStateMismatch,
}
