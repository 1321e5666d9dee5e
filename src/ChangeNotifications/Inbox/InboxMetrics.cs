using System.Diagnostics.Metrics;
using ChangeNotifications.Telemetry;

namespace ChangeNotifications.Inbox;

/// <summary>
/// The inbox writer's rounds, as an operator (dotnet-counters, OpenTelemetry) sees them: how long each round kept its
/// callers waiting for the disk (its writes, its commit and, with <c>Storage:Durability=Full</c>, the fsync every 202
/// of the round waits for), how many callers it answered, and how long the checkpoints run between rounds take. A
/// commit time that rises is the disk: it is what the acknowledgement's latency follows. Also the backlog (items
/// stored and not yet handled), its oldest item's age and the dead letters, as last read from the store
/// (<see cref="Observed"/>): gauges read that sample, never the store.
/// </summary>
internal sealed class InboxMetrics
{
    public const string MeterName = ServiceMeter.Name;

    /// <summary>Buckets (s) where commits and checkpoints live: a tenth of a millisecond up to a second.</summary>
    private static readonly InstrumentAdvice<double> DiskSeconds = new()
    {
        HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    };

    private static readonly InstrumentAdvice<int> Writes = new() { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512] };

    private readonly Histogram<double> _roundDuration;
    private readonly Histogram<int> _roundWrites;
    private readonly Histogram<double> _checkpointDuration;
    private readonly TimeProvider _time;
    private volatile BacklogSample? _backlog;

    public InboxMetrics(IMeterFactory meterFactory, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _time = time ?? TimeProvider.System;
        var meter = meterFactory.Create(MeterName);
        _roundDuration = meter.CreateHistogram(
            "changenotifications.inbox.round.duration", "s", "Time from a round's first write to its commit being durable (fsync included)", null, DiskSeconds);
        _roundWrites = meter.CreateHistogram(
            "changenotifications.inbox.round.writes", "{write}", "Callers a committed round answered: requests' appends, the dispatcher's claims and completions", null, Writes);
        _checkpointDuration = meter.CreateHistogram(
            "changenotifications.inbox.checkpoint.duration", "s", "A checkpoint the writer ran while idle, between rounds", null, DiskSeconds);
        meter.CreateObservableGauge(
            "changenotifications.inbox.backlog", () => Sampled(b => b.Items), "{notification}", "Items stored and not handled yet (ready, waiting for a retry, or claimed)");
        meter.CreateObservableGauge(
            "changenotifications.inbox.backlog.age", () => Sampled(b => b.Oldest is { } oldest ? Math.Max(0, (_time.GetUtcNow() - oldest).TotalSeconds) : 0), "s", "Age of the oldest item not handled yet");
        meter.CreateObservableGauge(
            "changenotifications.inbox.dead_letters", () => Sampled(b => b.DeadLetters), "{notification}", "Dead-lettered items waiting for a replay");
    }

    /// <summary>The backlog as the store last reported it (the health check and its sampler read it).</summary>
    public void Observed(long items, DateTimeOffset? oldest, long deadLetters) => _backlog = new BacklogSample(items, oldest, deadLetters);

    /// <summary>A round committed <paramref name="writes"/> callers' writes in <paramref name="elapsed"/>.</summary>
    public void RoundCommitted(int writes, TimeSpan elapsed)
    {
        _roundDuration.Record(elapsed.TotalSeconds);
        _roundWrites.Record(writes);
    }

    public void Checkpointed(TimeSpan elapsed) => _checkpointDuration.Record(elapsed.TotalSeconds);

    /// <summary>Nothing before the first sample: a gauge that reports no value rather than a zero nobody measured.</summary>
    private IEnumerable<Measurement<double>> Sampled(Func<BacklogSample, double> value) =>
        _backlog is { } backlog ? [new Measurement<double>(value(backlog))] : [];

    private sealed record BacklogSample(long Items, DateTimeOffset? Oldest, long DeadLetters);
}
