using System.Security.Claims;
using ChangeNotifications.Admin;
using ChangeNotifications.Graph;
using ChangeNotifications.Graph.Emulator;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Web;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace ChangeNotifications.StatusPage;

internal static class StatusPageServiceCollectionExtensions
{
    /// <summary>The status page's authorization policy.</summary>
    public const string Policy = "StatusPage";

    /// <summary>The page's own schemes, apart from the admin API's bearer scheme (the default one).</summary>
    public const string SignInScheme = "StatusPage.OpenIdConnect";

    public const string CookieScheme = "StatusPage.Cookies";

    /// <summary>Where the identity provider sends people back (register it as the app's redirect URI).</summary>
    public const string CallbackPath = $"{StatusPageEndpoints.Prefix}/signin-oidc";

    /// <summary>
    /// The status page: options (section <c>StatusPage</c>), sign-in with OpenID Connect and a cookie through
    /// Microsoft.Identity.Web (section <c>AzureAd</c>, defaulting to the <c>Graph</c> app registration in Live mode; the
    /// built-in emulator in Emulator mode), the policy requiring the role or group, and antiforgery for its replay button.
    /// Its routes count against the admin API's rate limit.
    /// </summary>
    public static IServiceCollection AddStatusPage(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<StatusPageOptions>().Bind(configuration.GetSection(StatusPageOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StatusPageOptions>, StatusPageOptionsValidator>());

        services.AddAuthentication()
            .AddMicrosoftIdentityWebApp(
                configuration.GetSection(AdminServiceCollectionExtensions.AzureAdSection),
                SignInScheme,
                CookieScheme,
                subscribeToOpenIdConnectMiddlewareDiagnosticsEvents: false);
        services.AddOptions<MicrosoftIdentityOptions>(SignInScheme)
            .Configure<IOptions<GraphOptions>>((identity, graph) =>
            {
                AdminServiceCollectionExtensions.DefaultToGraphApp(identity, graph.Value);
                identity.ResponseType = OpenIdConnectResponseType.Code;
                identity.CallbackPath = CallbackPath;
                identity.SignedOutCallbackPath = $"{StatusPageEndpoints.Prefix}/signout-callback-oidc";
                if (string.IsNullOrWhiteSpace(identity.ClientSecret))
                {
                    identity.ClientSecret = graph.Value.ClientSecret;
                }
            });
        services.AddEmulatorSignInAuthority(configuration, SignInScheme);
        services.AddOptions<OpenIdConnectOptions>(SignInScheme).Configure(oidc =>
        {
            // The authorization code flow with PKCE: no token in the browser's address bar or history.
            oidc.ResponseType = OpenIdConnectResponseType.Code;
            oidc.UsePkce = true;
            oidc.CallbackPath = CallbackPath;
            var redirect = oidc.Events.OnRedirectToIdentityProvider;
            oidc.Events.OnRedirectToIdentityProvider = context => IsScriptRequest(context.Request) ? AnswerWith401(context) : redirect(context);
        });
        services.AddOptions<CookieAuthenticationOptions>(CookieScheme).Configure(cookie =>
        {
            cookie.Cookie.Name = "ChangeNotifications.Status";
            cookie.Cookie.Path = StatusPageEndpoints.Prefix;
            cookie.Events.OnRedirectToAccessDenied = Refuse;
        });

        services.AddAuthorization();
        services.AddOptions<AuthorizationOptions>()
            .Configure<IOptions<StatusPageOptions>>((authorization, page) =>
                authorization.AddPolicy(Policy, policy => policy
                    .AddAuthenticationSchemes(SignInScheme)
                    .RequireAuthenticatedUser()
                    .RequireAssertion(context => MayView(context.User, page.Value))));
        services.AddAntiforgery(o =>
        {
            o.HeaderName = StatusPageEndpoints.AntiforgeryHeader;
            o.Cookie.Path = StatusPageEndpoints.Prefix;
        });
        return services;
    }

    /// <summary>Signed in, but without the role or group: a 403 that says what is missing (no sign-in loop).</summary>
    private static Task Refuse(Microsoft.AspNetCore.Authentication.RedirectContext<CookieAuthenticationOptions> context)
    {
        var page = context.HttpContext.RequestServices.GetRequiredService<IOptions<StatusPageOptions>>().Value;
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(
            $"Signed in, but the status page needs the app role {page.RequiredRole}" +
            (page.RequiredGroup is { Length: > 0 } group ? $" or membership of group {group}." : "."));
    }

    /// <summary>The role (whichever claim type the handler mapped <c>roles</c> to), or membership of the configured group.</summary>
    internal static bool MayView(ClaimsPrincipal user, StatusPageOptions page) =>
        user.IsInRole(page.RequiredRole)
        || user.HasClaim("roles", page.RequiredRole)
        || user.HasClaim(ClaimTypes.Role, page.RequiredRole)
        || (page.RequiredGroup is { Length: > 0 } group && user.HasClaim("groups", group));

    /// <summary>The page's scripts (its data and event stream) get 401 when signed out, not a redirect to the sign-in
    /// page they cannot follow; the page itself redirects.</summary>
    private static bool IsScriptRequest(HttpRequest request) =>
        request.Path.StartsWithSegments(StatusPageEndpoints.ApiPrefix, StringComparison.OrdinalIgnoreCase);

    private static Task AnswerWith401(RedirectContext context)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.HandleResponse();
        return Task.CompletedTask;
    }
}
