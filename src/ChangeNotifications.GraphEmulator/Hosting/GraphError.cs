using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace ChangeNotifications.GraphEmulator.Hosting;

/// <summary>
/// Graph's JSON error body (<c>{"error":{"code","message","innerError":{date, request-id, client-request-id}}}</c>),
/// which the Graph SDK turns into <c>ODataError</c>.
/// </summary>
internal static class GraphError
{
    public static IResult Result(HttpContext context, int statusCode, string code, string message, TimeProvider timeProvider)
    {
        var requestId = Guid.NewGuid().ToString();
        var clientRequestId = context.Request.Headers["client-request-id"].FirstOrDefault() ?? requestId;
        var body = new JsonObject
        {
            ["error"] = new JsonObject
            {
                ["code"] = code,
                ["message"] = message,
                ["innerError"] = new JsonObject
                {
                    ["date"] = timeProvider.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture),
                    ["request-id"] = requestId,
                    ["client-request-id"] = clientRequestId,
                },
            },
        };
        context.Response.Headers["request-id"] = requestId;
        return Results.Content(body.ToJsonString(), "application/json", statusCode: statusCode);
    }
}

/// <summary>A refusal in Graph's terms, turned into Graph's error body by <see cref="GraphError"/>.</summary>
internal sealed record GraphFailure(int StatusCode, string Code, string Message)
{
    public static GraphFailure BadRequest(string message) => new(StatusCodes.Status400BadRequest, "InvalidRequest", message);

    public IResult ToResult(HttpContext context, TimeProvider timeProvider) =>
        GraphError.Result(context, StatusCode, Code, Message, timeProvider);
}
