using ChangeNotifications.GraphEmulator.Control;
using ChangeNotifications.GraphEmulator.Hosting;
using Microsoft.AspNetCore.Http;

namespace ChangeNotifications.GraphEmulator.Auth;

/// <summary>
/// Runs before every Graph API request: the bearer token must be valid (401 with Graph's error otherwise),
/// then any fault queued through the control API (429, 5xx, slow answer) is applied.
/// </summary>
internal sealed class GraphRequestFilter(AccessTokenIssuer issuer, FaultInjector faults, GraphEmulatorOptions options) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var check = issuer.Check(http.Request.Headers.Authorization.ToString());
        if (check != AccessTokenCheck.Valid)
        {
            http.Response.Headers.WWWAuthenticate =
                "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"";
            var message = check switch
            {
                AccessTokenCheck.Missing => "Access token is empty.",
                AccessTokenCheck.Expired => "Lifetime validation failed, the token is expired.",
                _ => "Access token validation failure. Invalid audience.",
            };
            return GraphError.Result(http, StatusCodes.Status401Unauthorized, "InvalidAuthenticationToken", message, options.TimeProvider);
        }

        var fault = faults.TakeRequestFault();
        if (fault is not null)
        {
            var answer = await fault.ApplyAsync(http, options.TimeProvider);
            if (answer is not null)
            {
                return answer;
            }
        }

        return await next(context);
    }
}
