using System.Globalization;
using System.Net;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Kiota.Abstractions;

namespace ChangeNotifications.Graph;

/// <summary>What went wrong in a call to Graph's subscriptions API, in the terms the reconciler acts on.</summary>
internal sealed record GraphFailure(int? StatusCode, string? Code, string Message, TimeSpan? RetryAfter)
{
    public bool IsNotFound => StatusCode == (int)HttpStatusCode.NotFound;

    public bool IsConflict => StatusCode == (int)HttpStatusCode.Conflict;

    public bool IsBadRequest => StatusCode == (int)HttpStatusCode.BadRequest;

    public bool IsThrottled => StatusCode is (int)HttpStatusCode.TooManyRequests or (int)HttpStatusCode.ServiceUnavailable;

    /// <summary>The <c>code</c> inside Graph's <c>innerError</c>, when it sent one (e.g. <c>throttledRequest</c>).</summary>
    public string? InnerCode { get; init; }

    /// <summary>The handshake with our endpoint failed or timed out (Graph answers 400; known to be flaky).</summary>
    public bool IsValidationFailure =>
        IsBadRequest &&
        Message.Contains("validation request", StringComparison.OrdinalIgnoreCase);

    /// <summary>A short reason for logs and health: status, code and Graph's message (Graph never echoes clientState).</summary>
    public string Reason =>
        StatusCode is { } status
            ? $"{status.ToString(CultureInfo.InvariantCulture)} {Code ?? "error"}: {Message}"
            : Message;

    public static GraphFailure From(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            // The SDK's retry handler gives up on a throttled or unavailable answer with an aggregate of every answer.
            AggregateException { InnerExceptions.Count: > 0 } aggregate => From(aggregate.InnerExceptions[^1]),
            ODataError odata => new GraphFailure(
                StatusOf(odata),
                odata.Error?.Code,
                Truncate(odata.Error?.Message ?? odata.Message),
                RetryAfterOf(odata.ResponseHeaders))
            {
                InnerCode = odata.Error?.InnerError?.AdditionalData is { } inner && inner.TryGetValue("code", out var code) ? code?.ToString() : null,
            },
            ApiException api => new GraphFailure(StatusOf(api), null, Truncate(api.Message), RetryAfterOf(api.ResponseHeaders)),
            HttpRequestException http => new GraphFailure(http.StatusCode is { } s ? (int)s : null, "network", Truncate(http.Message), null),
            TaskCanceledException or TimeoutException => new GraphFailure(null, "timeout", "The call to Graph timed out.", null),
            _ => new GraphFailure(null, exception.GetType().Name, Truncate(exception.Message), null),
        };
    }

    /// <summary>Retry-After as seconds or as an HTTP date (relative to <paramref name="now"/> when given).</summary>
    public static TimeSpan? RetryAfterOf(IDictionary<string, IEnumerable<string>>? headers, DateTimeOffset? now = null)
    {
        if (headers is null)
        {
            return null;
        }

        var value = headers.FirstOrDefault(h => string.Equals(h.Key, "Retry-After", StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault();
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date)
            ? (date - (now ?? DateTimeOffset.UtcNow)) is { } wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero
            : null;
    }

    private static int? StatusOf(ApiException api) => api.ResponseStatusCode > 0 ? api.ResponseStatusCode : null;

    private static string Truncate(string message) => message.Length <= 300 ? message : message[..300] + "…";
}
