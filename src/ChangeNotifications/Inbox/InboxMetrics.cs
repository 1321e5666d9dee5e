using System.Diagnostics.Metrics;

namespace ChangeNotifications.Inbox;

/// <summary>
/// The inbox writer's rounds, as an operator (dotnet-counters, OpenTelemetry) sees them: how long each round kept its
/// callers waiting for the disk (its writes, its commit and, with <c>Storage:Durability=Full</c>, the fsync every 202
/// of the round waits for), how many callers it answered, and how long the checkpoints run between rounds take. A
/// commit time that rises is the disk: it is what the acknowledgement's latency follows.
/// </summary>
internal sealed class InboxMetrics
{
    public const string MeterName = "ChangeNotifications.Inbox";

    private readonly Histogram<double> _roundDuration;
    private readonly Histogram<int> _roundWrites;
    private readonly Histogram<double> _checkpointDuration;

    public InboxMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        _roundDuration = meter.CreateHistogram<double>(
            "changenotifications.inbox.round.duration", "s", "Time from a round's first write to its commit being durable (fsync included)");
        _roundWrites = meter.CreateHistogram<int>(
            "changenotifications.inbox.round.writes", "{write}", "Callers a committed round answered: requests' appends, the dispatcher's claims and completions");
        _checkpointDuration = meter.CreateHistogram<double>(
            "changenotifications.inbox.checkpoint.duration", "s", "A checkpoint the writer ran while idle, between rounds");
    }

    /// <summary>A round committed <paramref name="writes"/> callers' writes in <paramref name="elapsed"/>.</summary>
    public void RoundCommitted(int writes, TimeSpan elapsed)
    {
        _roundDuration.Record(elapsed.TotalSeconds);
        _roundWrites.Record(writes);
    }

    public void Checkpointed(TimeSpan elapsed) => _checkpointDuration.Record(elapsed.TotalSeconds);
}
