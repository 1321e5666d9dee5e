using System.Collections.Concurrent;
using System.Net;
using System.Text;
using ChangeNotifications.GraphEmulator.Tenant;
using ChangeNotifications.Subscriptions;

namespace ChangeNotifications.Tests.Faults;

/// <summary>
/// Sustained load as Graph sends it: <c>workers</c> concurrent POSTs of 1 to <c>maxBatch</c> change notifications each (in
/// turn), every notification with its own id; remembers which ids were answered 202 and how many requests were not.
/// </summary>
/// <remarks>
/// The notifications name <see cref="Resource"/>, a path of no Graph resource type: the dispatcher hands them to the
/// built-in logging handler, so what is measured is the inbox and the dispatcher, not the emulator's answers.
/// </remarks>
internal sealed class NotificationLoad(Uri service, IReadOnlyList<SubscriptionRecord> subscriptions, string tag, int maxBatch = 1)
{
    public const string Resource = "/faults/items";

    private int _refused;
    private int _failed;

    public ConcurrentDictionary<string, bool> Accepted { get; } = new(StringComparer.Ordinal);

    /// <summary>Answers other than 202 (503 when the inbox cannot take the write).</summary>
    public int Refused => Volatile.Read(ref _refused);

    /// <summary>Requests that got no answer at all (the process was gone).</summary>
    public int Failed => Volatile.Read(ref _failed);

    public async Task RunAsync(int workers, CancellationToken stop)
    {
        using var client = new HttpClient { BaseAddress = service, Timeout = TimeSpan.FromSeconds(10) };
        await Task.WhenAll(Enumerable.Range(0, workers).Select(w => WorkAsync(client, w, stop)));
    }

    private async Task WorkAsync(HttpClient client, int worker, CancellationToken stop)
    {
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var ids = Enumerable.Range(0, 1 + (n % maxBatch)).Select(i => $"{tag}-{worker}-{n}-{i}").ToList();
            var subscription = subscriptions[(worker + n) % subscriptions.Count];
            try
            {
                using var content = new StringContent(Body(ids, subscription), Encoding.UTF8, "application/json");
                using var response = await client.PostAsync(new Uri("/api/notifications", UriKind.Relative), content, CancellationToken.None);
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    ids.ForEach(id => Accepted[id] = true);
                }
                else
                {
                    Interlocked.Increment(ref _refused);
                }
            }
            catch (HttpRequestException)
            {
                Interlocked.Increment(ref _failed);
                await Task.Delay(50, CancellationToken.None);
            }
            catch (TaskCanceledException)
            {
                Interlocked.Increment(ref _failed);
            }
        }
    }

    /// <summary>A Graph-shaped batch of <c>updated</c> notifications, one per id.</summary>
    public static string Body(IEnumerable<string> ids, SubscriptionRecord subscription) =>
        $$"""{"value":[{{string.Join(',', ids.Select(id => Item(id, subscription)))}}]}""";

    private static string Item(string id, SubscriptionRecord subscription) => $$$"""
        {"id":"{{{id}}}","subscriptionId":"{{{subscription.GraphId}}}","subscriptionExpirationDateTime":"{{{subscription.ExpiresAt:O}}}",
        "clientState":"{{{subscription.ClientState}}}","changeType":"updated","resource":"faults/items/{{{id}}}","tenantId":"{{{SeedIds.TenantId}}}",
        "resourceData":{"@odata.type":"#microsoft.graph.entity","@odata.id":"faults/items/{{{id}}}","id":"{{{id}}}"}}
        """;
}
