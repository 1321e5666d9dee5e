using System.Globalization;
using System.Text.Json.Nodes;
using ChangeNotifications.GraphEmulator.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace ChangeNotifications.GraphEmulator.Auth;

/// <summary>
/// Entra's v2 token endpoint for the client-credentials grant with a client secret, answering errors the way
/// Entra does (<c>{"error","error_description":"AADSTS…","error_codes":[…],…}</c>; 401 for a bad client secret).
/// The service's app gets opaque tokens for Graph; the clients of its API (<see cref="GraphEmulatorOptions.ApiClients"/>)
/// get signed JWTs for it (<see cref="ApiTokenIssuer"/>).
/// </summary>
internal static partial class TokenEndpoint
{
    public static IEndpointRouteBuilder MapTokenEndpoint(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/{tenant}/oauth2/v2.0/token", IssueAsync);
        return routes;
    }

    private static async Task<IResult> IssueAsync(
        string tenant,
        HttpRequest request,
        GraphEmulatorOptions options,
        AccessTokenIssuer issuer,
        ApiTokenIssuer apiTokens,
        AuthorizationCodes codes,
        ILogger<AccessTokenIssuer> logger)
    {
        if (!request.HasFormContentType)
        {
            return EntraError(options, 400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.");
        }

        var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
        if (!string.Equals(tenant, options.TenantId, StringComparison.OrdinalIgnoreCase))
        {
            return EntraError(options, 400, "invalid_request", 90002, $"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.");
        }

        var grantType = form["grant_type"].ToString();
        if (grantType.Length == 0)
        {
            return EntraError(options, 400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.");
        }

        if (grantType == "authorization_code")
        {
            return RedeemCode(form, options, codes, logger);
        }

        if (grantType != "client_credentials")
        {
            return EntraError(options, 400, "unsupported_grant_type", 70003, $"The app requested an unsupported grant type '{grantType}'.");
        }

        var clientId = form["client_id"].ToString();
        if (apiTokens.FindClient(clientId) is { } apiClient)
        {
            return IssueForApi(apiClient, form["client_secret"].ToString(), form["scope"].ToString(), options, apiTokens, logger);
        }

        if (!string.Equals(clientId, options.ClientId, StringComparison.OrdinalIgnoreCase))
        {
            return EntraError(options, 400, "unauthorized_client", 700016, $"Application with identifier '{clientId}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.");
        }

        var secret = form["client_secret"].ToString();
        if (secret.Length == 0)
        {
            return EntraError(options, 401, "invalid_client", 7000216, "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.");
        }

        if (!SecretsMatch(secret, options.ClientSecret))
        {
            LogRejectedSecret(logger, clientId);
            return EntraError(options, 401, "invalid_client", 7000215, $"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{clientId}'.");
        }

        var scope = form["scope"].ToString();
        if (!scope.EndsWith("/.default", StringComparison.Ordinal))
        {
            return EntraError(options, 400, "invalid_scope", 1002012, $"The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).");
        }

        var token = issuer.Issue();
        LogIssued(logger, clientId, token.Lifetime);
        return TokenResponse(token);
    }

    /// <summary>A client of the service's app: a signed JWT with its app roles, for <c>api://{app id}/.default</c> only.</summary>
    private static IResult IssueForApi(
        EmulatedApiClient client,
        string secret,
        string scope,
        GraphEmulatorOptions options,
        ApiTokenIssuer apiTokens,
        ILogger logger)
    {
        if (secret.Length == 0)
        {
            return EntraError(options, 401, "invalid_client", 7000216, "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.");
        }

        if (!SecretsMatch(secret, client.ClientSecret))
        {
            LogRejectedSecret(logger, client.ClientId);
            return EntraError(options, 401, "invalid_client", 7000215, $"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client.ClientId}'.");
        }

        if (!apiTokens.IsApiScope(scope))
        {
            return EntraError(options, 400, "invalid_resource", 500011, $"The resource principal named {scope} was not found in the tenant named {options.TenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.");
        }

        var token = apiTokens.Issue(client);
        LogIssued(logger, client.ClientId, token.Lifetime);
        return TokenResponse(token);
    }

    /// <summary>A person's sign-in (<see cref="SignInEndpoints"/>): the web app's secret, then the code with its PKCE verifier.</summary>
    private static IResult RedeemCode(IFormCollection form, GraphEmulatorOptions options, AuthorizationCodes codes, ILogger logger)
    {
        var clientId = form["client_id"].ToString();
        if (!string.Equals(clientId, options.ClientId, StringComparison.OrdinalIgnoreCase))
        {
            return EntraError(options, 400, "unauthorized_client", 700016, $"Application with identifier '{clientId}' was not found in the directory '{options.TenantId}'.");
        }

        if (!SecretsMatch(form["client_secret"].ToString(), options.ClientSecret))
        {
            LogRejectedSecret(logger, clientId);
            return EntraError(options, 401, "invalid_client", 7000215, $"Invalid client secret provided for app '{clientId}'.");
        }

        var (tokens, refusal) = codes.Redeem(form["code"].ToString(), clientId, form["redirect_uri"].ToString(), form["code_verifier"].ToString());
        if (tokens is null)
        {
            return EntraError(options, 400, "invalid_grant", 70008, refusal!);
        }

        var seconds = (long)tokens.Lifetime.TotalSeconds;
        return Results.Json(new JsonObject
        {
            ["token_type"] = "Bearer",
            ["scope"] = form["scope"].ToString(),
            ["expires_in"] = seconds,
            ["ext_expires_in"] = seconds,
            ["access_token"] = tokens.AccessToken,
            ["id_token"] = tokens.IdToken,
        });
    }

    private static IResult TokenResponse(IssuedAccessToken token)
    {
        var seconds = (long)token.Lifetime.TotalSeconds;
        return Results.Json(new JsonObject
        {
            ["token_type"] = "Bearer",
            ["expires_in"] = seconds,
            ["ext_expires_in"] = seconds,
            ["access_token"] = token.Token,
        });
    }

    private static bool SecretsMatch(string given, string expected) =>
        System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(given), System.Text.Encoding.UTF8.GetBytes(expected));

    private static IResult EntraError(GraphEmulatorOptions options, int status, string error, int code, string description)
    {
        var traceId = Guid.NewGuid().ToString();
        var correlationId = Guid.NewGuid().ToString();
        var now = options.TimeProvider.GetUtcNow().UtcDateTime;
        var body = new JsonObject
        {
            ["error"] = error,
            ["error_description"] = $"AADSTS{code}: {description} Trace ID: {traceId} Correlation ID: {correlationId} Timestamp: {now.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)}",
            ["error_codes"] = new JsonArray(code),
            ["timestamp"] = now.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["trace_id"] = traceId,
            ["correlation_id"] = correlationId,
            ["error_uri"] = $"https://login.microsoftonline.com/error?code={code}",
        };
        return Results.Content(body.ToJsonString(), "application/json", statusCode: status);
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Emulator issued an access token to client {ClientId}, valid for {Lifetime}")]
    private static partial void LogIssued(ILogger logger, string clientId, TimeSpan lifetime);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Emulator rejected the client secret of client {ClientId}")]
    private static partial void LogRejectedSecret(ILogger logger, string clientId);
}
