using System.Net;
using ChangeNotifications.Inbox;
using ChangeNotifications.Tests.Infrastructure;
using ChangeNotifications.Tests.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Moq;

namespace ChangeNotifications.Tests.Receiving;

/// <summary>
/// The webhook routes go through the same middleware as every other request (exception handler, status-code pages,
/// request log); the request log leaves the webhook POSTs' outcomes to intake's own rate-limited lines.
/// </summary>
public sealed class WebhookPipelineTests
{
    private const string RequestLogCategory = RequestLoggingTests.RequestLogCategory;
    private const string ExceptionHandlerCategory = "Microsoft.AspNetCore.Diagnostics.ExceptionHandlerMiddleware";

    [Fact]
    public async Task Another_method_on_a_webhook_route_gets_problem_details_and_a_request_log_line()
    {
        using var service = new ServiceFactory();

        var response = await service.CreateClient().GetAsync("/api/notifications");

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var line = Assert.Single(service.Logs.GetSnapshot(), r => r.Category == RequestLogCategory);
        Assert.Equal(LogLevel.Warning, line.Level);
    }

    [Theory]
    [InlineData("/api/notifications")]
    [InlineData("/API/Lifecycle")]
    public async Task An_accepted_webhook_post_is_202_with_no_body_and_no_request_log_line(string path)
    {
        using var service = new ServiceFactory();
        var subscription = service.Subscriptions.Add("/me/messages");

        var response = await service.CreateClient().PostAsync(path, Payloads.Json(Payloads.Batch(Payloads.Item(subscription))));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Null(response.Content.Headers.ContentType);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, (await service.Inbox.CountAsync(default)).Total);
        Assert.DoesNotContain(service.Logs.GetSnapshot(), r => r.Category == RequestLogCategory);
    }

    [Fact]
    public async Task An_exception_escaping_a_webhook_post_gets_the_exception_handlers_500_and_error_line()
    {
        var inbox = new Mock<IInbox>();
        inbox.Setup(i => i.AppendAsync(It.IsAny<IReadOnlyList<InboxEntry>>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new InvalidOperationException("unexpected"));
        using var service = new ServiceFactory().WithServices(s => s.AddSingleton(inbox.Object));
        var subscription = service.Subscriptions.Add("/me/messages");

        var response = await service.CreateClient().PostAsync("/api/notifications", Payloads.Json(Payloads.Batch(Payloads.Item(subscription))));

        // Graph treats any 5xx alike: it sends the batch again.
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("unexpected", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var line = Assert.Single(service.Logs.GetSnapshot(), r => r.Category == ExceptionHandlerCategory);
        Assert.Equal(LogLevel.Error, line.Level);
        Assert.IsType<InvalidOperationException>(line.Exception);
    }
}
