using System.Net;
using ChangeNotifications.Resources;
using ChangeNotifications.Telemetry;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace ChangeNotifications.Tests.Telemetry;

/// <summary>OTLP export turned on by <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, to a stand-in collector on loopback.</summary>
public sealed class OtlpExportTests
{
    [Fact]
    public async Task Metrics_go_to_the_collector_that_OTEL_EXPORTER_OTLP_ENDPOINT_names()
    {
        var posted = new TaskCompletionSource<(string Path, string? ContentType, long Length)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var collector = builder.Build();
        collector.MapPost("/v1/metrics", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            posted.TrySetResult((context.Request.Path, context.Request.ContentType, body.Length));
            return Results.Ok();
        });
        await collector.StartAsync();
        var address = collector.Urls.Single();

        using var service = new ServiceFactory()
            .WithSetting(TelemetryServiceCollectionExtensions.OtlpEndpointVariable, address)
            .WithSetting("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
            .WithSetting("OTEL_METRIC_EXPORT_INTERVAL", "100")
            .WithHandler(new RecordingHandler(ResourceType.Message));
        var sub = service.Subscriptions.Add("/users/5b0c9a6d-1e2f-4a3b-8c4d-9e0f1a2b3c4d/messages");
        var answer = await service.CreateClient().PostAsync("/api/notifications", Payloads.Json(Payloads.Batch(Payloads.Item(sub))));
        Assert.Equal(HttpStatusCode.Accepted, answer.StatusCode);

        var export = await posted.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("/v1/metrics", export.Path);
        Assert.Equal("application/x-protobuf", export.ContentType);
        Assert.True(export.Length > 0);
    }
}
