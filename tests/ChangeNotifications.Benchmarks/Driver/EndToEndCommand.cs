using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace ChangeNotifications.Benchmarks.Driver;

/// <summary>
/// End-to-end latency, from the emulator's send to the handler's start, with nothing added to the service: the service
/// runs in Emulator mode (its own subscriptions, created through the real handshake) and logs compact JSON. The driver
/// asks the emulator's control API for <c>count</c> changes of the <c>/users</c> subscription, one every <c>gap</c>
/// ms, noting when it asked; the service's "Handled" events (2010) give when each handler started (@t minus ElapsedMs).
/// The i-th change is paired with the i-th handler start (the gap is far above the latency, so none overtakes another).
/// </summary>
internal static class EndToEndCommand
{
    private const int HandledEventId = 2010;
    private const int EmulatorStartedEventId = 3000;

    public static async Task<int> RunAsync(CommandLine args)
    {
        var log = args.Required("log");
        var count = args.Int("count", 100);
        var gap = TimeSpan.FromMilliseconds(args.Int("gap-ms", 50));

        var emulator = await WaitForAsync(() => Events(log).Where(e => EventId(e) == EmulatorStartedEventId)
            .Select(e => new Uri(e.GetProperty("GraphBaseUrl").GetString()!)).FirstOrDefault(), TimeSpan.FromSeconds(60), "the emulator's start");
        using var http = new HttpClient(new HttpClientHandler
        {
            // The emulator's self-signed certificate; the control API answers loopback callers only.
            ServerCertificateCustomValidationCallback = (request, _, _, _) => request.RequestUri?.IsLoopback == true,
        })
        { BaseAddress = new Uri(emulator.GetLeftPart(UriPartial.Authority)) };

        var subscription = await WaitForAsync(async () =>
        {
            var list = await http.GetFromJsonAsync<JsonElement>("/_emulator/subscriptions");
            return list.EnumerateArray().Where(s => s.GetProperty("resource").GetString() == "/users")
                .Select(s => s.GetProperty("id").GetString()).FirstOrDefault();
        }, TimeSpan.FromSeconds(60), "the service's /users subscription in the emulator");
        var handledBefore = Handled(log, subscription).Count;

        var sent = new List<DateTimeOffset>(count);
        for (var i = 0; i < count; i++)
        {
            sent.Add(DateTimeOffset.UtcNow);
            using var response = await http.PostAsync(new Uri($"/_emulator/changes?subscriptionId={subscription}&changeType=updated", UriKind.Relative), null);
            response.EnsureSuccessStatusCode();
            await Task.Delay(gap);
        }

        var started = await WaitForAsync(() =>
        {
            var handled = Handled(log, subscription);
            return handled.Count >= handledBefore + count ? handled.Skip(handledBefore).Take(count).ToList() : null;
        }, TimeSpan.FromSeconds(60), $"{count} handled notifications");

        var latencies = sent.Zip(started.Order(), (s, h) => (h - s).TotalMilliseconds).Order().ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"E2E n={latencies.Count} p50_ms={Percentile(latencies, 50):0.0} p99_ms={Percentile(latencies, 99):0.0} max_ms={latencies[^1]:0.0}"));
        return 0;
    }

    private static List<DateTimeOffset> Handled(string log, string subscription) =>
        Events(log)
            .Where(e => EventId(e) == HandledEventId && e.GetProperty("SubscriptionId").GetString() == subscription)
            .Select(e => e.GetProperty("@t").GetDateTimeOffset() - TimeSpan.FromMilliseconds(e.GetProperty("ElapsedMs").GetDouble()))
            .ToList();

    private static double Percentile(List<double> sorted, int percent) =>
        sorted[Math.Clamp((int)Math.Ceiling(percent / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static int? EventId(JsonElement e) =>
        e.TryGetProperty("EventId", out var id) && id.TryGetProperty("Id", out var n) ? n.GetInt32() : null;

    /// <summary>The compact-JSON lines of the service's log so far.</summary>
    private static IEnumerable<JsonElement> Events(string log)
    {
        using var stream = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var events = new List<JsonElement>();
        while (reader.ReadLine() is { } line)
        {
            if (line.StartsWith("{\"@t\"", StringComparison.Ordinal))
            {
                try
                {
                    events.Add(JsonDocument.Parse(line).RootElement.Clone());
                }
                catch (JsonException)
                {
                    // The line being written right now.
                }
            }
        }

        return events;
    }

    private static Task<T> WaitForAsync<T>(Func<T?> probe, TimeSpan timeout, string what) =>
        WaitForAsync(() => Task.FromResult(probe()), timeout, what);

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"Waited {timeout} for {what}.");
    }
}
