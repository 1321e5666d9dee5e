using System.Text;

namespace ChangeNotifications.Receiving;

/// <summary>
/// The two answers of the webhook routes' hot path, written straight to the response. ASP.NET's result types
/// (<c>TypedResults.Accepted</c>, <c>TypedResults.Text</c>) ask the request's services for a logger factory on every
/// execution, which opens a service scope per request, and with Serilog's factory creates a new logger and its caches
/// each time, all on the acknowledgement's path.
/// </summary>
internal static class WebhookAnswers
{
    /// <summary>202, no body.</summary>
    public static IResult Accepted { get; } = new AcceptedAnswer();

    /// <summary>200 <c>text/plain; charset=utf-8</c> with <paramref name="text"/>.</summary>
    public static IResult PlainText(string text) => new PlainTextAnswer(text);

    private sealed class AcceptedAnswer : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            ArgumentNullException.ThrowIfNull(httpContext);
            httpContext.Response.StatusCode = StatusCodes.Status202Accepted;
            return Task.CompletedTask;
        }
    }

    private sealed class PlainTextAnswer(string text) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            ArgumentNullException.ThrowIfNull(httpContext);
            var response = httpContext.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "text/plain; charset=utf-8";
            response.ContentLength = Encoding.UTF8.GetByteCount(text);
            return response.WriteAsync(text, Encoding.UTF8, httpContext.RequestAborted);
        }
    }
}
