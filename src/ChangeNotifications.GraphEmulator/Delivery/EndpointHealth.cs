using System.Collections.Concurrent;
using ChangeNotifications.GraphEmulator.Hosting;

namespace ChangeNotifications.GraphEmulator.Delivery;

/// <summary>Graph's view of a notification endpoint: normal, slow (new notifications delayed) or dropping.</summary>
public enum EndpointState
{
    Normal,
    Slow,
    Dropping,
}

/// <summary>
/// Answers of each notification endpoint over the last window (Graph: 10 min): above the slow share (10%) of answers
/// slower than 3 s, new notifications are delayed; above the drop share (15%) of failed or timed-out answers, new
/// notifications are dropped for the drop period.
/// </summary>
internal sealed class EndpointHealth(GraphEmulatorOptions options)
{
    private readonly ConcurrentDictionary<string, Endpoint> _endpoints = new(StringComparer.Ordinal);

    public void Record(Uri url, bool slow, bool failed)
    {
        var endpoint = _endpoints.GetOrAdd(Key(url), _ => new Endpoint());
        lock (endpoint)
        {
            endpoint.Answers.Enqueue(new Answer(options.TimeProvider.GetUtcNow(), slow, failed));
        }
    }

    public EndpointState StateOf(Uri url)
    {
        if (!_endpoints.TryGetValue(Key(url), out var endpoint))
        {
            return EndpointState.Normal;
        }

        var throttling = options.Throttling;
        var now = options.TimeProvider.GetUtcNow();
        lock (endpoint)
        {
            while (endpoint.Answers.TryPeek(out var oldest) && oldest.At <= now - throttling.Window)
            {
                endpoint.Answers.Dequeue();
            }

            if (endpoint.DroppingUntil > now)
            {
                return EndpointState.Dropping;
            }

            var count = endpoint.Answers.Count;
            if (count < throttling.MinimumSamples)
            {
                return EndpointState.Normal;
            }

            if (endpoint.Answers.Count(a => a.Failed) > throttling.DropRatio * count)
            {
                endpoint.DroppingUntil = now + throttling.DropPeriod;
                endpoint.Answers.Clear();
                return EndpointState.Dropping;
            }

            return endpoint.Answers.Count(a => a.Slow) > throttling.SlowRatio * count ? EndpointState.Slow : EndpointState.Normal;
        }
    }

    public void Reset() => _endpoints.Clear();

    private static string Key(Uri url) => url.GetLeftPart(UriPartial.Path);

    private sealed class Endpoint
    {
        public Queue<Answer> Answers { get; } = new();

        public DateTimeOffset DroppingUntil { get; set; }
    }

    private readonly record struct Answer(DateTimeOffset At, bool Slow, bool Failed);
}
