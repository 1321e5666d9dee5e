using System.Globalization;
using System.Net;
using System.Text;
using ChangeNotifications.GraphEmulator.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace ChangeNotifications.GraphEmulator.Auth;

/// <summary>
/// Entra's v2 authorization endpoint for people, reduced to what an OpenID Connect web app needs: the authorization
/// code flow with PKCE (S256) for the app of <see cref="GraphEmulatorOptions.ClientId"/>, redirect URIs on loopback
/// only, a plain sign-in form for <see cref="GraphEmulatorOptions.SignInUsers"/>, and the code sent back by
/// <c>response_mode</c> <c>query</c> (a redirect) or <c>form_post</c> (a self-submitting form).
/// </summary>
internal static partial class SignInEndpoints
{
    private static readonly string[] Carried = ["client_id", "redirect_uri", "response_type", "response_mode", "scope", "state", "nonce", "code_challenge", "code_challenge_method"];

    public static IEndpointRouteBuilder MapSignInEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/{tenant}/oauth2/v2.0/authorize", (string tenant, HttpRequest request, GraphEmulatorOptions options) =>
            Check(tenant, request.Query, options) is { } refusal ? refusal : Form(request.Query, error: null));
        routes.MapPost("/{tenant}/oauth2/v2.0/authorize", SignInAsync);
        return routes;
    }

    private static async Task<IResult> SignInAsync(
        string tenant, HttpRequest request, GraphEmulatorOptions options, AuthorizationCodes codes, ILogger<AuthorizationCodes> logger)
    {
        if (!request.HasFormContentType)
        {
            return Refuse("The sign-in form must be posted as a form.");
        }

        var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
        if (Check(tenant, form, options) is { } refusal)
        {
            return refusal;
        }

        var user = codes.FindUser(form["username"].ToString(), form["password"].ToString());
        if (user is null)
        {
            LogRejectedSignIn(logger, form["username"].ToString());
            return Form(form, "Your account or password is incorrect.");
        }

        var redirectUri = form["redirect_uri"].ToString();
        var code = codes.Issue(user, new SignInRequest(
            form["client_id"].ToString(), redirectUri, form["code_challenge"].ToString(), NullIfEmpty(form["nonce"])));
        LogSignedIn(logger, user.UserName, string.Join(' ', user.Roles));
        var answer = new Dictionary<string, string?> { ["code"] = code, ["state"] = NullIfEmpty(form["state"]), ["session_state"] = Guid.NewGuid().ToString() };
        return form["response_mode"].ToString() == "form_post"
            ? Results.Content(AutoPost(redirectUri, answer), "text/html; charset=utf-8")
            : Results.Redirect(Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(redirectUri, answer));
    }

    /// <summary>The request's parameters as Entra checks them; null when they are fine, else the error page.</summary>
    private static IResult? Check(string tenant, IEnumerable<KeyValuePair<string, StringValues>> parameters, GraphEmulatorOptions options)
    {
        var p = parameters.ToDictionary(kv => kv.Key, kv => kv.Value.ToString(), StringComparer.Ordinal);
        string Get(string name) => p.GetValueOrDefault(name) ?? string.Empty;
        if (!string.Equals(tenant, options.TenantId, StringComparison.OrdinalIgnoreCase))
        {
            return Refuse($"AADSTS90002: Tenant '{tenant}' not found.");
        }

        if (!string.Equals(Get("client_id"), options.ClientId, StringComparison.OrdinalIgnoreCase))
        {
            return Refuse($"AADSTS700016: Application with identifier '{Get("client_id")}' was not found in the directory '{tenant}'.");
        }

        if (!Uri.TryCreate(Get("redirect_uri"), UriKind.Absolute, out var redirect) || !redirect.IsLoopback || redirect.Scheme is not ("http" or "https"))
        {
            return Refuse("AADSTS50011: The redirect URI specified in the request does not match the redirect URIs configured for the application (the emulator accepts loopback URIs only).");
        }

        if (Get("response_type") != "code")
        {
            return Refuse("AADSTS700054: response_type must be 'code' (the emulator runs the authorization code flow only).");
        }

        if (Get("response_mode") is not ("" or "query" or "form_post"))
        {
            return Refuse("AADSTS900144: response_mode must be query or form_post.");
        }

        if (Get("code_challenge").Length == 0 || Get("code_challenge_method") != "S256")
        {
            return Refuse("AADSTS9002325: Proof Key for Code Exchange is required for this flow (code_challenge with code_challenge_method=S256).");
        }

        return null;
    }

    private static IResult Refuse(string message) =>
        Results.Content(Page("Sign in", $"<p role=\"alert\">{WebUtility.HtmlEncode(message)}</p>"), "text/html; charset=utf-8", statusCode: StatusCodes.Status400BadRequest);

    private static IResult Form(IEnumerable<KeyValuePair<string, StringValues>> parameters, string? error)
    {
        var body = new StringBuilder();
        body.Append("<form method=\"post\">");
        foreach (var (name, value) in parameters.Where(kv => Carried.Contains(kv.Key)))
        {
            body.Append(CultureInfo.InvariantCulture, $"<input type=\"hidden\" name=\"{name}\" value=\"{WebUtility.HtmlEncode(value.ToString())}\">");
        }

        if (error is not null)
        {
            body.Append(CultureInfo.InvariantCulture, $"<p role=\"alert\" id=\"error\">{WebUtility.HtmlEncode(error)}</p>");
        }

        body.Append("""
            <label>Email <input name="username" id="username" autocomplete="username"></label>
            <label>Password <input name="password" id="password" type="password" autocomplete="current-password"></label>
            <button type="submit" id="signin">Sign in</button></form>
            <p>Seeded users: <code>adele@contoso.example</code> (admin role), <code>megan@contoso.example</code> (reader role);
            password <code>emulator-user-password</code>.</p>
            """);
        return Results.Content(Page("Sign in to the Graph emulator", body.ToString()), "text/html; charset=utf-8");
    }

    private static string AutoPost(string redirectUri, Dictionary<string, string?> fields)
    {
        var body = new StringBuilder();
        body.Append(CultureInfo.InvariantCulture, $"<form method=\"post\" action=\"{WebUtility.HtmlEncode(redirectUri)}\">");
        foreach (var (name, value) in fields.Where(kv => kv.Value is not null))
        {
            body.Append(CultureInfo.InvariantCulture, $"<input type=\"hidden\" name=\"{name}\" value=\"{WebUtility.HtmlEncode(value)}\">");
        }

        body.Append("<noscript><button type=\"submit\">Continue</button></noscript></form><script>document.forms[0].submit()</script>");
        return Page("Signing in", body.ToString());
    }

    private static string Page(string title, string body) =>
        $$"""
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{WebUtility.HtmlEncode(title)}}</title>
        <style>body{font-family:sans-serif;max-width:28rem;margin:3rem auto}label{display:block;margin:.5rem 0}input{width:100%}</style>
        </head><body><h1>{{WebUtility.HtmlEncode(title)}}</h1>{{body}}</body></html>
        """;

    private static string? NullIfEmpty(StringValues value) => StringValues.IsNullOrEmpty(value) ? null : value.ToString();

    [LoggerMessage(EventId = 110, Level = LogLevel.Information, Message = "Emulator signed in {UserName} (app roles: {Roles})")]
    private static partial void LogSignedIn(ILogger logger, string userName, string roles);

    [LoggerMessage(EventId = 111, Level = LogLevel.Warning, Message = "Emulator refused the sign-in of {UserName}: wrong account or password")]
    private static partial void LogRejectedSignIn(ILogger logger, string userName);
}
