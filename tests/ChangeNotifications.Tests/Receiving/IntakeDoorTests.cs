using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ChangeNotifications.Inbox;
using ChangeNotifications.Receiving;
using ChangeNotifications.Storage;
using ChangeNotifications.Storage.Sqlite;
using ChangeNotifications.Tests.Infrastructure;
using ChangeNotifications.Tests.Subscriptions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChangeNotifications.Tests.Receiving;

/// <summary>What the webhook endpoints refuse before they store anything: bytes that are not UTF-8, content types
/// that are not <c>application/json</c>; and what a 503 at the store timeout leaves stored.</summary>
public sealed class IntakeDoorTests : IDisposable
{
    private const string MailResource = "/users/5b0c9a6d-1e2f-4a3b-8c4d-9e0f1a2b3c4d/messages";
    private readonly ServiceFactory _service = new();

    public void Dispose() => _service.Dispose();

    /// <summary>Where the invalid bytes go in an otherwise valid item.</summary>
    public static TheoryData<string, string> InvalidUtf8 => new()
    {
        { "/api/notifications", "in a string value" },
        { "/api/notifications", "in a property name" },
        { "/api/notifications", "a truncated multibyte sequence" },
        { "/api/notifications", "an overlong encoding" },
        { "/api/notifications", "an encoded surrogate" },
        { "/api/lifecycle", "in a string value" },
        { "/api/lifecycle", "in a property name" },
        { "/api/lifecycle", "a truncated multibyte sequence" },
    };

    [Theory]
    [MemberData(nameof(InvalidUtf8))]
    public async Task A_body_that_is_not_UTF8_gets_400_and_nothing_is_stored(string path, string where)
    {
        var sub = _service.Subscriptions.Add(MailResource);
        var item = path == "/api/lifecycle" ? Payloads.Lifecycle(sub, "missed") : Payloads.Item(sub);
        var body = WithInvalidUtf8(Payloads.Batch(item), where);
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };

        var response = await _service.CreateClient().PostAsync(path, content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("not valid UTF-8", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, (await _service.Inbox.CountAsync(default)).Total);
        Assert.Equal("400", Assert.Single(_service.Logs.GetSnapshot(), r => r.Id.Id == 1012).GetStructuredStateValue("StatusCode"));
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("Application/JSON; Charset=UTF-8")]
    [InlineData("application/json;charset=\"utf-8\"")]
    [InlineData("application/json ; charset=utf-8")]
    public async Task Application_json_with_or_without_charset_utf8_is_taken(string contentType)
    {
        var sub = _service.Subscriptions.Add(MailResource);

        var response = await PostAsync(Payloads.Batch(Payloads.Item(sub)), contentType);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(1, (await _service.Inbox.CountAsync(default)).Ready);
    }

    [Theory]
    [InlineData("application/jsonx")]
    [InlineData("application/json-patch+json")]
    [InlineData("application/merge-patch+json")]
    [InlineData("application/json; charset=iso-8859-1")]
    [InlineData("application/json; charset=utf-16")]
    [InlineData("application/json/x")]
    [InlineData("text/json")]
    public async Task A_type_that_is_not_application_json_or_another_charset_gets_415(string contentType)
    {
        var sub = _service.Subscriptions.Add(MailResource);

        var notifications = await PostAsync(Payloads.Batch(Payloads.Item(sub)), contentType);
        var lifecycle = await PostAsync(Payloads.Batch(Payloads.Lifecycle(sub, "missed")), contentType, "/api/lifecycle");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, notifications.StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, lifecycle.StatusCode);
        Assert.Equal(0, (await _service.Inbox.CountAsync(default)).Total);
    }

    /// <summary>
    /// Two batches answered 503 at the store timeout while the inbox's writer is held in a round: the batch whose write
    /// the writer had not taken is withdrawn and never stored; the one it had taken commits after all. When Graph sends
    /// both again, each is stored, and the claim recognises the second copy of the committed one as a redelivery: every
    /// notification is handled once.
    /// </summary>
    [Fact]
    public async Task A_503_at_the_store_timeout_stores_nothing_unless_the_write_had_begun_and_then_the_retry_is_a_redelivery()
    {
        using var held = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var rounds = 0;
        SqliteInbox? inbox = null;
        using var service = new ServiceFactory()
            .WithSetting("Receiving:StoreTimeout", "00:00:00.200")
            .WithServices(s => s.AddSingleton<IInbox>(sp => inbox = new SqliteInbox(
                sp.GetRequiredService<SqliteDatabase>(),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<SqliteInbox>>(),
                sp.GetRequiredService<InboxMetrics>())
            {
                // The first round is held after the writer took it, before it writes: the "write had begun" case.
                RoundTaken = _ =>
                {
                    if (Interlocked.Increment(ref rounds) == 1)
                    {
                        held.Set();
                        release.Wait(TimeSpan.FromSeconds(30));
                    }
                },
            }));
        var sub = service.Subscriptions.Add(MailResource);
        var client = service.CreateClient();
        var begun = Payloads.Batch(Payloads.Item(sub, messageId: "begun-1"));
        var waiting = Payloads.Batch(Payloads.Item(sub, messageId: "waiting-2"));

        var first = client.PostAsync("/api/notifications", Payloads.Json(begun));
        Assert.True(held.Wait(TimeSpan.FromSeconds(30)));
        var second = client.PostAsync("/api/notifications", Payloads.Json(waiting));
        // Queued behind the held round, waiting on its store deadline.
        await RealClock.WaitUntilAsync(() => inbox!.HasQueuedWrites);
        service.Time.Advance(TimeSpan.FromMilliseconds(200));
        var answers = await Task.WhenAll(first, second);
        release.Set();

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.ServiceUnavailable, a.StatusCode));
        Assert.Equal(2, service.Logs.GetSnapshot().Count(r => r.Id.Id == 1013));

        // Graph sends both again: the writer's rounds run in order, so once these are stored the held one has committed.
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync("/api/notifications", Payloads.Json(begun))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync("/api/notifications", Payloads.Json(waiting))).StatusCode);
        Assert.Equal(3, (await service.Inbox.CountAsync(default)).Total);

        var claimed = await service.Inbox.ClaimAsync(10, TimeSpan.FromMinutes(1), default);
        Assert.Equal(["begun-1", "waiting-2"], claimed.Select(i => ResourceIdOf(i.Payload)).Order(StringComparer.Ordinal));
        Assert.Equal(new InboxCounts(Ready: 0, Claimed: 2, Done: 1, Dead: 0), await service.Inbox.CountAsync(default));
        Assert.Single(service.Logs.GetSnapshot(), r => r.Id.Id == 1102);
    }

    private static string ResourceIdOf(string payload)
    {
        using var document = System.Text.Json.JsonDocument.Parse(payload);
        return document.RootElement.GetProperty("resourceData").GetProperty("id").GetString()!;
    }

    private Task<HttpResponseMessage> PostAsync(string body, string contentType, string path = "/api/notifications")
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return _service.CreateClient().PostAsync(path, content);
    }

    /// <summary><paramref name="batch"/> as UTF-8 with invalid bytes put in the place <paramref name="where"/> names.</summary>
    private static byte[] WithInvalidUtf8(string batch, string where)
    {
        var (marker, invalid) = where switch
        {
            // "tenantId": "7e1f…" → a lone continuation byte inside the value.
            "in a string value" => ("\"tenantId\": \"", Concat("\"tenantId\": \""u8, [0x80])),
            // An extra property whose name holds 0xFF (never valid in UTF-8).
            "in a property name" => ("\"tenantId\": \"", Concat(Concat("\"x"u8, [0xFF]), "\": 1, \"tenantId\": \""u8)),
            // "…€" cut after two of its three bytes, then the closing quote.
            "a truncated multibyte sequence" => ("\"tenantId\": \"", Concat("\"tenantId\": \""u8, [0xE2, 0x82])),
            // '/' encoded in two bytes.
            "an overlong encoding" => ("\"tenantId\": \"", Concat("\"tenantId\": \""u8, [0xC0, 0xAF])),
            // U+D800 encoded as if it were a character.
            "an encoded surrogate" => ("\"tenantId\": \"", Concat("\"tenantId\": \""u8, [0xED, 0xA0, 0x80])),
            _ => throw new ArgumentOutOfRangeException(nameof(where)),
        };
        var at = batch.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(at >= 0);
        var before = Encoding.UTF8.GetBytes(batch[..at]);
        var after = Encoding.UTF8.GetBytes(batch[(at + marker.Length)..]);
        return [.. before, .. invalid, .. after];
    }

    private static byte[] Concat(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second) => [.. first, .. second];
}
