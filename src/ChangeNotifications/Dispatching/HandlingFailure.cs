using System.Globalization;
using ChangeNotifications.Graph;
using Microsoft.Kiota.Abstractions;

namespace ChangeNotifications.Dispatching;

/// <summary>What the dispatcher does with an item whose handling threw.</summary>
internal enum FailureKind
{
    /// <summary>Worth another attempt later: throttling, 408, 5xx, a network error or timeout, or an unknown fault.</summary>
    Transient,

    /// <summary>Retrying cannot mend it: dead-lettered at once with the reason.</summary>
    Permanent,

    /// <summary>Graph answered 404 or 410: the resource was deleted or moved since; the item is done.</summary>
    Gone,
}

/// <summary>
/// The one reading of a handling failure: whether it is retried, dead-lettered at once or means the resource is gone,
/// with a reason an operator can read (Graph's status, error code and message; Graph never echoes a secret). Graph's
/// 400, 414 and 422, and a 403 that is not a throttle, say the request itself is wrong for this item or this app:
/// sending it again gets the same answer.
/// </summary>
internal sealed record HandlingFailure(FailureKind Kind, string Reason, int? StatusCode, string? ErrorCode, TimeSpan? RetryAfter)
{
    /// <summary>Codes Graph's services use for a throttle, in the error or its <c>innerError</c>, whatever the status.</summary>
    private static readonly HashSet<string> ThrottleCodes = new(StringComparer.OrdinalIgnoreCase)
    {
        "activityLimitReached", "throttledRequest", "TooManyRequests", "ApplicationThrottled", "MailboxConcurrency",
    };

    /// <summary>A delta link Graph no longer knows: the delta handlers resync on it; anywhere else retrying cannot help.</summary>
    private static readonly HashSet<string> ResyncCodes = new(StringComparer.OrdinalIgnoreCase)
    {
        "resyncRequired", "syncStateNotFound", "syncStateInvalid",
    };

    public bool IsGone => Kind == FailureKind.Gone;

    public static HandlingFailure Classify(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (exception is PermanentNotificationException)
        {
            return new HandlingFailure(FailureKind.Permanent, exception.Message, null, null, null);
        }

        var graph = GraphFailure.From(exception);
        if (graph.StatusCode is not { } status || !IsGraphAnswer(exception))
        {
            // A network error, a timeout, a status from elsewhere than the Graph SDK (a token metadata endpoint), or a
            // fault of ours: retried, and dead-lettered after the configured attempts.
            return new HandlingFailure(FailureKind.Transient, $"{exception.GetType().Name}: {exception.Message}", null, null, null);
        }

        var kind = status switch
        {
            StatusCodes.Status404NotFound => FailureKind.Gone,
            StatusCodes.Status410Gone => IsOneOf(graph, ResyncCodes) ? FailureKind.Permanent : FailureKind.Gone,
            StatusCodes.Status400BadRequest or StatusCodes.Status414UriTooLong or StatusCodes.Status422UnprocessableEntity => FailureKind.Permanent,
            StatusCodes.Status403Forbidden => graph.RetryAfter is not null || IsOneOf(graph, ThrottleCodes) ? FailureKind.Transient : FailureKind.Permanent,
            _ => FailureKind.Transient,
        };
        return new HandlingFailure(kind, "Graph answered " + graph.Reason, status, graph.Code, graph.RetryAfter);
    }

    /// <summary>The status as a log property: the number, or <c>none</c> for a failure without an HTTP answer.</summary>
    public string Status => StatusCode?.ToString(CultureInfo.InvariantCulture) ?? "none";

    private static bool IsGraphAnswer(Exception exception) =>
        exception is ApiException || (exception is AggregateException { InnerExceptions.Count: > 0 } aggregate && aggregate.InnerExceptions[^1] is ApiException);

    private static bool IsOneOf(GraphFailure failure, HashSet<string> codes) =>
        (failure.Code is { } code && codes.Contains(code)) || (failure.InnerCode is { } inner && codes.Contains(inner));
}
