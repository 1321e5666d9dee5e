using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using ChangeNotifications.Resources;
using ChangeNotifications.Telemetry;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace ChangeNotifications.Tests.Telemetry;

/// <summary>
/// The service's meter as notifications flow through the real intake, inbox and dispatcher, and the Prometheus scrape
/// endpoint behind its token.
/// </summary>
public sealed class MetricsTests : IDisposable
{
    private const string MailResource = "/users/5b0c9a6d-1e2f-4a3b-8c4d-9e0f1a2b3c4d/messages";
    private const string Token = "scrape-token-for-tests-0123456789";
    private readonly RecordingHandler _handler = new(ResourceType.Message);
    private readonly ServiceFactory _service;

    public MetricsTests()
    {
        _service = new ServiceFactory()
            .WithSetting("Metrics:ScrapeToken", Token)
            .WithSetting("Dispatcher:MaxAttempts", "2")
            .WithHandler(_handler);
    }

    public void Dispose() => _service.Dispose();

    private MetricCollector<T> Collect<T>(string instrument)
        where T : struct =>
        new(_service.Services.GetRequiredService<IMeterFactory>(), ServiceMeter.Name, instrument);

    [Fact]
    public async Task Received_stored_handled_and_the_acknowledgement_are_counted_by_endpoint_and_resource_type()
    {
        var client = _service.CreateClient();
        using var received = Collect<long>("changenotifications.notifications.received");
        using var stored = Collect<long>("changenotifications.notifications.stored");
        using var rejected = Collect<long>("changenotifications.notifications.rejected");
        using var handled = Collect<long>("changenotifications.notifications.handled");
        using var acknowledgement = Collect<double>("changenotifications.acknowledgement.duration");
        var sub = _service.Subscriptions.Add(MailResource);

        var post = await client.PostAsync(
            "/api/notifications",
            Payloads.Json(Payloads.Batch(Payloads.Item(sub), Payloads.Item(sub), Payloads.Item(sub, clientState: "wrong"))));
        Assert.Equal(HttpStatusCode.Accepted, post.StatusCode);
        await _service.Dispatcher.RunOnceAsync(default);

        var receivedOnce = Assert.Single(received.GetMeasurementSnapshot());
        Assert.Equal(3, receivedOnce.Value);
        Assert.Equal("notifications", receivedOnce.Tags["endpoint"]);
        Assert.Equal(2, Assert.Single(stored.GetMeasurementSnapshot()).Value);
        Assert.Equal("ClientStateMismatch", Assert.Single(rejected.GetMeasurementSnapshot()).Tags["reason"]);
        Assert.Equal(2, handled.GetMeasurementSnapshot().Sum(m => m.Value));
        Assert.All(handled.GetMeasurementSnapshot(), m => Assert.Equal("Message", m.Tags["resource_type"]));
        var answer = Assert.Single(acknowledgement.GetMeasurementSnapshot());
        Assert.Equal("notifications", answer.Tags["endpoint"]);
        Assert.InRange(answer.Value, 0, 3);
    }

    [Fact]
    public async Task Failures_and_dead_letters_are_counted_by_resource_type()
    {
        var client = _service.CreateClient();
        using var failed = Collect<long>("changenotifications.notifications.failed");
        using var dead = Collect<long>("changenotifications.notifications.dead_lettered");
        var sub = _service.Subscriptions.Add(MailResource);
        _handler.FailuresLeft = 10;
        await client.PostAsync("/api/notifications", Payloads.Json(Payloads.Batch(Payloads.Item(sub))));

        await _service.Dispatcher.RunOnceAsync(default);
        _service.Time.Advance(TimeSpan.FromMinutes(1));
        await _service.Dispatcher.RunOnceAsync(default);

        Assert.Equal("Message", Assert.Single(failed.GetMeasurementSnapshot()).Tags["resource_type"]);
        Assert.Equal("Message", Assert.Single(dead.GetMeasurementSnapshot()).Tags["resource_type"]);
    }

    [Fact]
    public async Task Inbox_backlog_gauges_follow_the_store()
    {
        var client = _service.CreateClient();
        var sub = _service.Subscriptions.Add(MailResource);
        await client.PostAsync("/api/notifications", Payloads.Json(Payloads.Batch(Payloads.Item(sub), Payloads.Item(sub))));
        _service.Time.Advance(TimeSpan.FromSeconds(30));
        await client.GetAsync("/health/ready"); // a probe refreshes the sample the gauges read

        using var backlog = Collect<double>("changenotifications.inbox.backlog");
        using var age = Collect<double>("changenotifications.inbox.backlog.age");
        backlog.RecordObservableInstruments();
        age.RecordObservableInstruments();

        Assert.Equal(2, backlog.LastMeasurement?.Value);
        Assert.Equal(30, age.LastMeasurement?.Value ?? 0, precision: 0);
    }

    [Fact]
    public async Task Scrape_endpoint_refuses_callers_without_the_token_and_serves_Prometheus_text_with_it()
    {
        var client = _service.CreateClient();
        var sub = _service.Subscriptions.Add(MailResource);
        await client.PostAsync("/api/notifications", Payloads.Json(Payloads.Batch(Payloads.Item(sub))));

        var anonymous = await client.GetAsync("/metrics");
        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/metrics") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", Token + "x") } };
        var wrongAnswer = await client.SendAsync(wrong);
        using var right = new HttpRequestMessage(HttpMethod.Get, "/metrics") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", Token) } };
        var scrape = await client.SendAsync(right);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("Bearer", anonymous.Headers.WwwAuthenticate.ToString());
        Assert.Equal(HttpStatusCode.Unauthorized, wrongAnswer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.StartsWith("text/plain", scrape.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        var text = await scrape.Content.ReadAsStringAsync();
        Assert.Contains("changenotifications_notifications_stored_total{", text, StringComparison.Ordinal);
        Assert.Contains("endpoint=\"notifications\"", text, StringComparison.Ordinal);
        Assert.Contains("changenotifications_acknowledgement_duration_seconds_bucket{", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_scrape_token_there_is_no_scrape_endpoint()
    {
        using var service = new ServiceFactory();

        var answer = await service.CreateClient().GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
    }
}
