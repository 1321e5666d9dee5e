using System.Net;
using ChangeNotifications.Inbox;
using ChangeNotifications.Receiving;
using ChangeNotifications.Tests.Infrastructure;
using ChangeNotifications.Tests.Logging;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Moq;

namespace ChangeNotifications.Tests.Receiving;

/// <summary>
/// Webhook POSTs skip the request log, the exception handler and the status-code pages; every other request, on the
/// webhook routes too, goes through them.
/// </summary>
public sealed class WebhookBypassTests
{
    private const string RequestLogCategory = RequestLoggingTests.RequestLogCategory;
    private const string ExceptionHandlerCategory = "Microsoft.AspNetCore.Diagnostics.ExceptionHandlerMiddleware";

    [Theory]
    [InlineData("POST", "/api/notifications", true)]
    [InlineData("POST", "/API/Lifecycle", true)]
    [InlineData("GET", "/api/notifications", false)]
    [InlineData("PUT", "/api/lifecycle", false)]
    [InlineData("POST", "/api/notifications/extra", false)]
    [InlineData("POST", "/api", false)]
    [InlineData("POST", "/health", false)]
    public void Only_posts_to_the_two_webhook_paths_bypass(string method, string path, bool bypasses)
    {
        var context = new DefaultHttpContext { Request = { Method = method, Path = path } };

        Assert.Equal(bypasses, WebhookBypass.IsWebhookPost(context.Request));
    }

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

    [Fact]
    public async Task An_exception_escaping_a_webhook_post_skips_the_exception_handler_and_is_still_logged()
    {
        var inbox = new Mock<IInbox>();
        inbox.Setup(i => i.AppendAsync(It.IsAny<IReadOnlyList<InboxEntry>>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new InvalidOperationException("unexpected"));
        using var service = new ServiceFactory().WithServices(s => s.AddSingleton(inbox.Object));
        var subscription = service.Subscriptions.Add("/me/messages");

        var response = await service.CreateClient().PostAsync("/api/notifications", Payloads.Json(Payloads.Batch(Payloads.Item(subscription))));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var logs = service.Logs.GetSnapshot();
        Assert.DoesNotContain(logs, r => r.Category == ExceptionHandlerCategory || r.Category == RequestLogCategory);
        // Logged by what serves the request instead (the developer exception page here, Kestrel in production).
        Assert.Contains(logs, r => r.Level == LogLevel.Error && r.Exception is InvalidOperationException { Message: "unexpected" });
    }
}
