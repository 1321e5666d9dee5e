using Microsoft.Extensions.Options;

namespace ChangeNotifications.Receiving;

/// <summary>
/// Graph's validation request: echo the URL-decoded <c>validationToken</c> as text/plain, at once, without
/// reading the body or touching storage. Tokens too long, or carrying control characters or angle
/// brackets (never sent by Graph, the stuff of reflected XSS), get 400.
/// </summary>
public sealed partial class ValidationHandshake(IOptions<ReceivingOptions> options, ILogger<ValidationHandshake> logger)
{
    public const string QueryKey = "validationToken";

    public static bool IsHandshake(HttpRequest request, out string token)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Query.TryGetValue(QueryKey, out var values) && values.Count > 0)
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
            LogRejected(logger, endpoint, "length", token.Length);
            return TypedResults.Problem(
                statusCode: StatusCodes.Status400BadRequest,
                title: "Invalid validation token",
                detail: $"validationToken must be 1 to {options.Value.MaxValidationTokenLength} characters.");
        }

        foreach (var c in token)
        {
            if (char.IsControl(c) || c is '<' or '>')
            {
                LogRejected(logger, endpoint, "characters", token.Length);
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status400BadRequest,
                    title: "Invalid validation token",
                    detail: "validationToken must not contain control characters, '<' or '>'.");
            }
        }

        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.CacheControl = "no-store";
        LogAnswered(logger, endpoint);
        return TypedResults.Text(token, "text/plain");
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Validation handshake answered on {Endpoint}")]
    private static partial void LogAnswered(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Validation handshake on {Endpoint} refused: token {Problem} (length {TokenLength})")]
    private static partial void LogRejected(ILogger logger, string endpoint, string problem, int tokenLength);
}
