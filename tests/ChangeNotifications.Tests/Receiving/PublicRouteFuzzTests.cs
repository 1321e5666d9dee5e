using System.Net.Http.Headers;
using System.Text;
using ChangeNotifications.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ChangeNotifications.Tests.Receiving;

/// <summary>
/// A few hundred malformed requests (deterministic seed) to every public route: bodies cut, flipped, nested, wrongly
/// typed or not UTF-8; odd content types; validation tokens empty, long or with control characters; other methods and
/// unknown paths. Each answer is 2xx or 4xx within a per-request timeout, never 5xx, and nothing is stored.
/// </summary>
public sealed class PublicRouteFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 2326;
    private const int Requests = 400;
    private static readonly TimeSpan PerRequest = TimeSpan.FromSeconds(10);
    private static readonly string[] ContentTypes =
    [
        "application/json", "application/json; charset=utf-8", "application/json; charset=latin1", "text/plain",
        "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json;;;", "\u00e9/\u00e9",
    ];

    [Fact]
    public async Task Malformed_requests_to_every_public_route_get_2xx_or_4xx_in_time_and_store_nothing()
    {
        using var service = new ServiceFactory();
        var subscription = service.Subscriptions.Add("/users/5b0c9a6d-1e2f-4a3b-8c4d-9e0f1a2b3c4d/messages");
        var valid = Payloads.Batch(Payloads.Item(subscription with { ClientState = "not-the-secret" }), Payloads.Item(subscription, clientState: "wrong"));
        var client = service.CreateClient();
        var random = new Random(Seed);
        var before = (await service.Inbox.CountAsync(default)).Total;
        var byClass = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var byRoute = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var failures = new List<string>();

        for (var i = 0; i < Requests; i++)
        {
            using var request = Next(random, valid, out var route);
            var described = $"#{i} {request.Method} {request.RequestUri}";
            using var timeout = new CancellationTokenSource(PerRequest);
            int status;
            try
            {
                using var response = await client.SendAsync(request, timeout.Token);
                status = (int)response.StatusCode;
            }
            catch (OperationCanceledException)
            {
                failures.Add($"{described}: no answer within {PerRequest}");
                continue;
            }

            byClass[$"{status / 100}xx"] = byClass.GetValueOrDefault($"{status / 100}xx") + 1;
            byRoute[route] = byRoute.GetValueOrDefault(route) + 1;
            if (status is < 200 or >= 500 or (>= 300 and < 400))
            {
                failures.Add($"{described}: {status}");
            }

            var now = (await service.Inbox.CountAsync(default)).Total;
            if (now != before)
            {
                failures.Add($"{described}: answered {status} and the inbox went from {before} to {now} rows");
                before = now;
            }
        }

        output.WriteLine($"requests: {Requests} (seed {Seed}); answers: {string.Join(", ", byClass.Select(c => $"{c.Key} {c.Value}"))}");
        output.WriteLine($"hits per route: {string.Join(", ", byRoute.Select(r => $"{r.Key} {r.Value}"))}");
        Assert.Empty(failures);
        Assert.Equal(Requests, byClass.Values.Sum());
    }

    private static HttpRequestMessage Next(Random random, string valid, out string route)
    {
        var kind = random.Next(6);
        route = kind switch
        {
            0 or 1 => "/api/notifications",
            2 => "/api/lifecycle",
            3 => "/health",
            4 => "/api/notifications?validationToken",
            _ => "unknown",
        };
        var path = kind switch
        {
            3 => "/health" + (random.Next(3) == 0 ? "?" + Garbage(random, 20, urlSafe: true) : string.Empty),
            4 => "/api/" + (random.Next(2) == 0 ? "notifications" : "lifecycle") + "?validationToken=" + Token(random),
            5 => "/" + Garbage(random, random.Next(1, 40), urlSafe: true),
            _ => route + (random.Next(4) == 0 ? "?" + Garbage(random, 30, urlSafe: true) : string.Empty),
        };
        var method = random.Next(5) == 0
            ? new[] { HttpMethod.Get, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch, HttpMethod.Options, HttpMethod.Head }[random.Next(6)]
            : kind == 3 ? HttpMethod.Get : HttpMethod.Post;
        var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (method != HttpMethod.Get && method != HttpMethod.Head)
        {
            var content = new ByteArrayContent(Body(random, valid));
            content.Headers.ContentType = null;
            if (random.Next(8) != 0)
            {
                content.Headers.TryAddWithoutValidation("Content-Type", ContentTypes[random.Next(ContentTypes.Length)]);
            }

            request.Content = content;
        }

        if (random.Next(3) == 0)
        {
            request.Headers.TryAddWithoutValidation(random.Next(2) == 0 ? "X-Forwarded-For" : "X-Custom-" + random.Next(100), Garbage(random, 40, urlSafe: true));
        }

        if (random.Next(6) == 0)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/xml"));
        }

        return request;
    }

    private static byte[] Body(Random random, string valid)
    {
        var bytes = Encoding.UTF8.GetBytes(valid);
        switch (random.Next(9))
        {
            case 0: return bytes[..random.Next(bytes.Length)];
            case 1:
                var flipped = (byte[])bytes.Clone();
                for (var j = 0; j < 1 + random.Next(8); j++)
                {
                    flipped[random.Next(flipped.Length)] = (byte)random.Next(256);
                }

                return flipped;
            case 2: return Encoding.UTF8.GetBytes(new string('[', 5000) + new string(']', 5000));
            case 3: return Encoding.UTF8.GetBytes(new[] { "{\"value\":\"x\"}", "{\"value\":{}}", "{\"value\":[1,2,null]}", "null", "[]", "{}", "\"\"", "{\"value\":[{\"subscriptionId\":123,\"changeType\":[]}]}" }[random.Next(8)]);
            case 4: return [0xEF, 0xBB, 0xBF, .. bytes];
            case 5: return [0xC3, 0x28, 0xFF, 0xFE, .. bytes[..Math.Min(20, bytes.Length)]];
            case 6: return [];
            case 7: return Encoding.UTF8.GetBytes(valid.Replace("created", "created\r\n\u0000\u2028", StringComparison.Ordinal));
            default: return Encoding.UTF8.GetBytes("{\"value\":[" + string.Join(",", Enumerable.Repeat("{\"subscriptionId\":\"" + Guid.NewGuid() + "\",\"clientState\":\"x\",\"changeType\":\"created\",\"resource\":\"users/x/messages/y\"}", random.Next(1, 200))) + "]}");
        }
    }

    private static string Token(Random random) => random.Next(5) switch
    {
        0 => string.Empty,
        1 => new string('A', 5000),
        2 => "%0D%0A%00%FF%FE" + Garbage(random, 20, urlSafe: true),
        3 => Uri.EscapeDataString("Validation: \u00e9\u2028\r\n" + Garbage(random, 30, urlSafe: false)),
        _ => Garbage(random, random.Next(1, 200), urlSafe: true),
    };

    private static string Garbage(Random random, int length, bool urlSafe)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = (char)random.Next(0x20, 0x7F);
        }

        var text = new string(chars);
        return urlSafe ? Uri.EscapeDataString(text) : text;
    }
}
