using ChangeNotifications.Logging;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Receiving;

/// <summary>
/// Graph's validation request: echo the URL-decoded <c>validationToken</c> as text/plain, at once, without
/// reading the body or touching storage. Tokens too long, or carrying control characters or angle
/// brackets (never sent by Graph, the stuff of reflected XSS), get 400.
/// </summary>
internal sealed partial class ValidationHandshake(IOptions<ReceivingOptions> options, LogRateLimiter logLimit, ILogger<ValidationHandshake> logger)
{
    public const string QueryKey = "validationToken";

    private const int AnsweredEvent = 1001;
    private const int RefusedEvent = 1002;

    public static bool IsHandshake(HttpRequest request, out string token)
    {
        ArgumentNullException.ThrowIfNull(request);
        // A notification POST has no query string: checking that first spares it the query collection.
        if (request.QueryString.HasValue && request.Query.TryGetValue(QueryKey, out var values) && values.Count > 0)
        {
            token = values[0] ?? string.Empty;
            return true;
        }

        token = string.Empty;
        return false;
    }

    public IResult Answer(HttpResponse response, string token, string endpoint)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (token.Length == 0 || token.Length > options.Value.MaxValidationTokenLength)
        {
            LogRefused(endpoint, "length", token.Length);
            return TypedResults.Problem(
                statusCode: StatusCodes.Status400BadRequest,
                title: "Invalid validation token",
                detail: $"validationToken must be 1 to {options.Value.MaxValidationTokenLength} characters.");
        }

        foreach (var c in token)
        {
            if (char.IsControl(c) || c is '<' or '>')
            {
                LogRefused(endpoint, "characters", token.Length);
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status400BadRequest,
                    title: "Invalid validation token",
                    detail: "validationToken must not contain control characters, '<' or '>'.");
            }
        }

        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.CacheControl = "no-store";
        if (logLimit.ShouldLog(logger, LogLevel.Information, AnsweredEvent))
        {
            LogAnswered(logger, endpoint);
        }

        return WebhookAnswers.PlainText(token);
    }

    private void LogRefused(string endpoint, string problem, int tokenLength)
    {
        if (logLimit.ShouldLog(logger, LogLevel.Warning, RefusedEvent))
        {
            LogRejected(logger, endpoint, problem, tokenLength);
        }
    }

    [LoggerMessage(EventId = AnsweredEvent, Level = LogLevel.Information, Message = "Validation handshake answered on {Endpoint}")]
    private static partial void LogAnswered(ILogger logger, string endpoint);

    [LoggerMessage(EventId = RefusedEvent, Level = LogLevel.Warning, Message = "Validation handshake on {Endpoint} refused: token {Problem} (length {TokenLength})")]
    private static partial void LogRejected(ILogger logger, string endpoint, string problem, int tokenLength);
}
