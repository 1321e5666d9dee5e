using System.Net;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Testing;

namespace ChangeNotifications.Tests.Receiving;

/// <summary>The lines anyone can cause on the anonymous endpoints are limited per second (Receiving:LogLinesPerSecond).</summary>
public sealed class IntakeLogLimitTests
{
    private const string Resource = "/me/messages";
    private const int BatchReceivedEvent = 1010;
    private const int SuppressedEvent = 102;

    [Fact]
    public async Task Batch_lines_over_the_limit_are_left_out_and_counted_on_the_next_second()
    {
        using var service = new ServiceFactory().WithSetting("Receiving:LogLinesPerSecond", "2");
        var subscription = service.Subscriptions.Add(Resource);
        var client = service.CreateClient();

        for (var i = 0; i < 5; i++)
        {
            var response = await client.PostAsync("/api/notifications", Payloads.Json(Payloads.Batch(Payloads.Item(subscription))));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        Assert.Equal(2, Lines(service.Logs, BatchReceivedEvent).Count);
        service.Time.Advance(TimeSpan.FromSeconds(1));
        await client.PostAsync("/api/notifications", Payloads.Json(Payloads.Batch(Payloads.Item(subscription))));

        Assert.Equal(3, Lines(service.Logs, BatchReceivedEvent).Count);
        var summary = Assert.Single(Lines(service.Logs, SuppressedEvent));
        Assert.Equal("3", summary.GetStructuredStateValue("SuppressedCount"));
        Assert.Equal("1010", summary.GetStructuredStateValue("SuppressedEventId"));
        Assert.Equal(6, (await service.Inbox.CountAsync(default)).Total);
    }

    [Fact]
    public async Task Limit_0_writes_every_line()
    {
        using var service = new ServiceFactory().WithSetting("Receiving:LogLinesPerSecond", "0");
        var subscription = service.Subscriptions.Add(Resource);
        var client = service.CreateClient();

        for (var i = 0; i < 30; i++)
        {
            await client.PostAsync("/api/notifications", Payloads.Json(Payloads.Batch(Payloads.Item(subscription), Payloads.Item(subscription with { GraphId = Guid.NewGuid() }))));
        }

        Assert.Equal(30, Lines(service.Logs, BatchReceivedEvent).Count);
        Assert.Equal(30, Lines(service.Logs, 1011).Count);
        Assert.Empty(Lines(service.Logs, SuppressedEvent));
    }

    [Fact]
    public async Task Drop_reject_and_handshake_lines_are_limited_each_on_its_own()
    {
        using var service = new ServiceFactory().WithSetting("Receiving:LogLinesPerSecond", "1");
        var subscription = service.Subscriptions.Add(Resource);
        var client = service.CreateClient();

        for (var i = 0; i < 3; i++)
        {
            await client.PostAsync("/api/notifications", Payloads.Json(Payloads.Batch(Payloads.Item(subscription, clientState: "forged"))));
            await client.PostAsync("/api/notifications", Payloads.Json("[1]"));
            await client.PostAsync("/api/notifications?validationToken=abc", null);
            await client.PostAsync("/api/notifications?validationToken=%3Cscript%3E", null);
        }

        Assert.All(new[] { 1001, 1002, 1010, 1011, 1012 }, id => Assert.Single(Lines(service.Logs, id)));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("100001")]
    public void Limit_out_of_range_stops_start_up_naming_the_setting(string value)
    {
        using var service = new ServiceFactory().WithSetting("Receiving:LogLinesPerSecond", value);

        var error = Assert.ThrowsAny<Exception>(() => service.Server);

        Assert.Contains("Receiving:LogLinesPerSecond", error.ToString(), StringComparison.Ordinal);
    }

    private static List<FakeLogRecord> Lines(FakeLogCollector logs, int eventId) =>
        logs.GetSnapshot().Where(r => r.Id.Id == eventId).ToList();
}
