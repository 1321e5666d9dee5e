using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using ChangeNotifications.Resources;
using ChangeNotifications.Telemetry;

namespace ChangeNotifications.Dispatching;

/// <summary>
/// What became of each handled item, by resource type: the counters <c>handled</c>, <c>failed</c> (an attempt failed
/// and is retried) and <c>dead_lettered</c>, lifecycle events by kind, and a window of the last
/// <see cref="Window"/> that tells health which types fail without a single success (<see cref="Failing"/>).
/// The type is the subscription's, resolved once per subscribed resource.
/// </summary>
internal sealed class HandlingOutcomes
{
    /// <summary>The longest window <see cref="Failing"/> can look back over, in one-minute buckets.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromHours(1);

    private const int Buckets = 60;
    private static readonly long BucketTicks = Window.Ticks / Buckets;
    private static readonly string[] TypeNames = Enum.GetNames<ResourceType>();

    private readonly Counter<long> _handled;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _deadLettered;
    private readonly Counter<long> _lifecycleEvents;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, ResourceType> _types = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly TypeWindow[] _windows = Enum.GetValues<ResourceType>().Select(_ => new TypeWindow()).ToArray();

    public HandlingOutcomes(IMeterFactory meterFactory, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _time = time;
        var meter = meterFactory.Create(ServiceMeter.Name);
        _handled = meter.CreateCounter<long>(
            "changenotifications.notifications.handled", "{notification}", "Items handled (or whose resource was gone), by resource type");
        _failed = meter.CreateCounter<long>(
            "changenotifications.notifications.failed", "{notification}", "Attempts that failed and are retried later, by resource type");
        _deadLettered = meter.CreateCounter<long>(
            "changenotifications.notifications.dead_lettered", "{notification}", "Items dead-lettered, by resource type");
        _lifecycleEvents = meter.CreateCounter<long>(
            "changenotifications.lifecycle_events", "{event}", "Lifecycle events received, by kind (counted at their first attempt)");
    }

    /// <summary>The resource type of items of <paramref name="subscription"/>; <see cref="ResourceType.Unknown"/> without one.</summary>
    public ResourceType TypeOf(SubscriptionView? subscription) =>
        subscription is null ? ResourceType.Unknown : _types.GetOrAdd(subscription.Resource, static r => ResourceTypeResolver.Resolve(r));

    public void Handled(ResourceType type)
    {
        _handled.Add(1, Tag(type));
        Count(type, failed: false, reason: null);
    }

    public void Failed(ResourceType type, string reason)
    {
        _failed.Add(1, Tag(type));
        Count(type, failed: true, reason);
    }

    public void DeadLettered(ResourceType type, string reason)
    {
        _deadLettered.Add(1, Tag(type));
        Count(type, failed: true, reason);
    }

    public void LifecycleEvent(string kind) => _lifecycleEvents.Add(1, new KeyValuePair<string, object?>("kind", kind));

    /// <summary>
    /// The types that, within the last <paramref name="window"/> (at most <see cref="Window"/>), failed at least
    /// <paramref name="minimumFailures"/> times (retries and dead letters) and were never handled.
    /// </summary>
    public IReadOnlyList<FailingType> Failing(TimeSpan window, int minimumFailures)
    {
        var current = _time.GetUtcNow().UtcTicks / BucketTicks;
        var oldest = current - Math.Min(Buckets, (long)Math.Ceiling(window.Ticks / (double)BucketTicks)) + 1;
        var failing = new List<FailingType>();
        lock (_gate)
        {
            for (var type = 0; type < _windows.Length; type++)
            {
                var (handled, failed) = _windows[type].Sum(oldest, current);
                if (handled == 0 && failed >= minimumFailures)
                {
                    failing.Add(new FailingType((ResourceType)type, failed, _windows[type].LastReason));
                }
            }
        }

        return failing;
    }

    private static KeyValuePair<string, object?> Tag(ResourceType type) =>
        new(ServiceMeter.ResourceTypeTag, TypeNames[(int)type]);

    private void Count(ResourceType type, bool failed, string? reason)
    {
        var period = _time.GetUtcNow().UtcTicks / BucketTicks;
        lock (_gate)
        {
            _windows[(int)type].Add(period, failed, reason);
        }
    }

    /// <summary>One type's outcomes in one-minute buckets (a ring of <see cref="Buckets"/>); guarded by the caller's lock.</summary>
    private sealed class TypeWindow
    {
        private readonly long[] _periods = new long[Buckets];
        private readonly long[] _handled = new long[Buckets];
        private readonly long[] _failed = new long[Buckets];

        public string? LastReason { get; private set; }

        public void Add(long period, bool failed, string? reason)
        {
            var index = (int)(period % Buckets);
            if (_periods[index] != period)
            {
                _periods[index] = period;
                _handled[index] = 0;
                _failed[index] = 0;
            }

            if (failed)
            {
                _failed[index]++;
                LastReason = reason;
            }
            else
            {
                _handled[index]++;
            }
        }

        public (long Handled, long Failed) Sum(long oldest, long current)
        {
            long handled = 0, failed = 0;
            for (var i = 0; i < Buckets; i++)
            {
                if (_periods[i] >= oldest && _periods[i] <= current)
                {
                    handled += _handled[i];
                    failed += _failed[i];
                }
            }

            return (handled, failed);
        }
    }
}

/// <summary>A resource type none of whose items was handled in the window, though some failed.</summary>
internal sealed record FailingType(ResourceType Type, long Failures, string? LastReason);
