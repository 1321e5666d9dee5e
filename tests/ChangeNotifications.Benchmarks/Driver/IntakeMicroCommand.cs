using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using ChangeNotifications.Inbox;
using ChangeNotifications.Notifications;
using ChangeNotifications.Receiving;
using ChangeNotifications.Subscriptions;
using Microsoft.Graph.Models;
using Microsoft.Kiota.Serialization.Json;

namespace ChangeNotifications.Benchmarks.Driver;

/// <summary>
/// CPU per item of intake's request-thread pieces, single-threaded, in one process: the body's JSON parse, reading
/// each item (the Graph SDK's model parse as intake did before, or <see cref="NotificationItemReader"/>), the
/// subscription lookup (a dictionary, as the store's memory cache), the clientState check, the dedup key and the raw
/// item text stored. The "match" path reads as intake reads the items of a request of several: without the key's
/// fields, and so without the key, which the inbox computes later. Items as the benchmark's notify.lua sends them. No HTTP, no inbox write, no logging.
/// </summary>
internal static class IntakeMicroCommand
{
    private static readonly Guid SubscriptionId = Guid.NewGuid();
    private static readonly string ClientState = Convert.ToBase64String(Guid.NewGuid().ToByteArray()) + "-benchmark";
    private static readonly SubscriptionRecord Subscription = new()
    {
        Key = "benchmark", Resource = "/users", ChangeType = "updated", ClientState = ClientState, GraphId = SubscriptionId,
    };

    private static readonly ClientStateCheck Check = new();

    internal static int Run(CommandLine args)
    {
        var rounds = args.Int("rounds", 5);
        var subscriptions = new Dictionary<Guid, SubscriptionRecord> { [SubscriptionId] = Subscription };
        Console.WriteLine($"intake-micro: {Environment.ProcessorCount} cores, {(IsOptimized() ? "Release" : "Debug (figures meaningless)")}, " +
            $"{rounds} rounds of 1 s per figure, the paths taking turns; min (median) over the rounds");
        Console.WriteLine("batch  path    µs/item (median)  bytes/item  (parse+read+match+dedup+raw text)");
        var paths = new (string Name, Func<JsonElement, (DedupKeyFields, string?)> Read)[] { ("sdk", ReadWithSdk), ("reader", ReadWithReader), ("match", ReadForMatch) };
        foreach (var batch in new[] { 1, 100 })
        {
            var body = Encoding.UTF8.GetBytes(Body(batch));
            var figures = paths.Select(_ => new List<(double Micros, double Bytes)>()).ToArray();
            for (var round = 0; round < rounds; round++)
            {
                for (var p = 0; p < paths.Length; p++)
                {
                    var read = paths[p].Read;
                    figures[p].Add(Measure(TimeSpan.FromSeconds(1), () => Intake(body, read, subscriptions)));
                }
            }

            for (var p = 0; p < paths.Length; p++)
            {
                var micros = figures[p].Select(f => f.Micros / batch).Order().ToList();
                var bytes = figures[p].Min(f => f.Bytes) / batch;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{batch,5}  {paths[p].Name,-6} {micros[0],8:F2} ({micros[micros.Count / 2],6:F2})  {bytes,10:F0}"));
            }
        }

        Pieces(rounds);
        return 0;
    }

    /// <summary>Each piece alone, per item of a batch of 100 (min over the rounds).</summary>
    private static void Pieces(int rounds)
    {
        var body = Encoding.UTF8.GetBytes(Body(100));
        using var document = JsonDocument.Parse(body);
        var elements = document.RootElement.GetProperty("value").EnumerateArray().ToArray();
        var fields = elements.Select(e => ReadWithReader(e).Item1).ToArray();
        var check = new ClientStateCheck();
        var pieces = new (string Name, Func<int> Call)[]
        {
            ("JSON parse of the body", () => ParsedLength(body)),
            ("SDK parse", () => elements.Sum(e => ReadWithSdk(e).Item1.Resource!.Length)),
            ("reader", () => elements.Sum(e => ReadWithReader(e).Item1.Resource!.Length)),
            ("reader for a match", () => elements.Count(e => ReadForMatch(e).Item1.SubscriptionId is not null)),
            ("clientState check", () => elements.Count(_ => check.Matches(Subscription, ClientState))),
            ("dedup key", () => fields.Sum(f => DedupKey.For(f).Length)),
            ("raw item text", () => elements.Sum(e => e.GetRawText().Length)),
            ("raw item bytes", () => elements.Sum(e => JsonMarshal.GetRawUtf8Value(e).ToArray().Length)),
            ("stored payload", () => elements.Sum(e => StoredPayload.Of(e).Length)),
        };
        Console.WriteLine("piece (batch of 100)         µs/item  bytes/item");
        foreach (var (name, call) in pieces)
        {
            var figures = Enumerable.Range(0, rounds).Select(_ => Measure(TimeSpan.FromMilliseconds(500), call)).ToList();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-28} {figures.Min(f => f.Micros) / elements.Length,8:F2}  {figures.Min(f => f.Bytes) / elements.Length,10:F0}"));
        }
    }

    private static int ParsedLength(byte[] body)
    {
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("value").GetArrayLength();
    }

    private static int Intake(byte[] body, Func<JsonElement, (DedupKeyFields Fields, string? ClientState)> read, Dictionary<Guid, SubscriptionRecord> subscriptions)
    {
        var stored = 0;
        using var document = JsonDocument.Parse(body);
        foreach (var element in document.RootElement.GetProperty("value").EnumerateArray())
        {
            var (fields, clientState) = read(element);
            if (fields.SubscriptionId is { } id && subscriptions.TryGetValue(id, out var expected)
                && Check.Matches(expected, clientState))
            {
                stored += (fields.Resource is null ? 0 : DedupKey.For(fields).Length) + element.GetRawText().Length;
            }
        }

        return stored > 0 ? stored : throw new InvalidOperationException("No item matched: the benchmark measures nothing.");
    }

    private static (DedupKeyFields, string?) ReadWithSdk(JsonElement element)
    {
        var notification = new JsonParseNode(element).GetObjectValue(ChangeNotification.CreateFromDiscriminatorValue)!;
        return (DedupKeyFields.From(notification, notification.EncryptedContent?.DataSignature), notification.ClientState);
    }

    private static (DedupKeyFields, string?) ReadWithReader(JsonElement element) =>
        NotificationItemReader.TryRead(element, out var item) ? (item.Fields, item.ClientState) : throw new InvalidOperationException("Unreadable item.");

    /// <summary>As intake reads the items of a request of several: no key fields, no key (the inbox computes it later).</summary>
    private static (DedupKeyFields, string?) ReadForMatch(JsonElement element) =>
        NotificationItemReader.TryReadForMatch(element, out var item) ? (item.Fields, item.ClientState) : throw new InvalidOperationException("Unreadable item.");

    /// <summary>Microseconds and bytes allocated per call, over about <paramref name="duration"/> after a warm-up.</summary>
    private static (double Micros, double Bytes) Measure(TimeSpan duration, Func<int> call)
    {
        var sink = 0;
        var warmUp = Stopwatch.StartNew();
        while (warmUp.Elapsed < TimeSpan.FromMilliseconds(200))
        {
            sink += call();
        }

        var calls = 0;
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            for (var i = 0; i < 16; i++)
            {
                sink += call();
            }

            calls += 16;
        }

        var elapsed = clock.Elapsed;
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        GC.KeepAlive(sink);
        return (elapsed.TotalMicroseconds / calls, (double)allocated / calls);
    }

    private static string Body(int batch)
    {
        var userId = Guid.NewGuid();
        var tenantId = Guid.NewGuid();
        var expires = DateTimeOffset.UtcNow.AddDays(2).ToString("O", CultureInfo.InvariantCulture);
        var items = Enumerable.Range(0, batch).Select(i =>
            $$$"""{"id":"run-1-1-{{{i}}}","subscriptionId":"{{{SubscriptionId}}}","subscriptionExpirationDateTime":"{{{expires}}}","clientState":"{{{ClientState}}}","changeType":"updated","resource":"Users/{{{userId}}}","tenantId":"{{{tenantId}}}","resourceData":{"@odata.type":"#Microsoft.Graph.User","@odata.id":"Users/{{{userId}}}","id":"{{{userId}}}","organizationId":"{{{tenantId}}}"}}""");
        return $$"""{"value":[{{string.Join(",", items)}}]}""";
    }

    private static bool IsOptimized() =>
        typeof(NotificationIntake).Assembly.GetCustomAttributes(typeof(DebuggableAttribute), false) is not [DebuggableAttribute { IsJITOptimizerDisabled: true }];
}
