using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace ChangeNotifications.Graph.Emulator;

/// <summary>
/// In Emulator mode, makes the built-in emulator the identity provider people sign in with (the status page): the same
/// authority, keys and issuer check as the admin API (<see cref="EmulatorApiAuthority"/>), the emulated app's secret to
/// redeem the code, and the answer by redirect (<c>response_mode=query</c>) with correlation cookies that work over
/// the service's plain-HTTP loopback address. Nothing changes in Live mode.
/// </summary>
internal static class EmulatorSignInAuthority
{
    public static IServiceCollection AddEmulatorSignInAuthority(this IServiceCollection services, IConfiguration configuration, string scheme)
    {
        if (string.Equals(configuration[$"{GraphOptions.Section}:{nameof(GraphOptions.Mode)}"], nameof(GraphMode.Live), StringComparison.OrdinalIgnoreCase))
        {
            return services;
        }

        services.AddEmulatorApiAuthority(configuration, scheme);
        services.AddOptions<Microsoft.Identity.Web.MicrosoftIdentityOptions>(scheme).Configure<EmulatorHost>((identity, host) =>
            identity.ClientSecret = host.Endpoint.ClientSecret);
        services.AddOptions<OpenIdConnectOptions>(scheme).Configure<EmulatorHost>((oidc, host) =>
            oidc.BackchannelHttpHandler = host.Endpoint.CreateHandler());

        // After Microsoft.Identity.Web's own configuration, which sets the response mode and cookies.
        services.AddOptions<OpenIdConnectOptions>(scheme).PostConfigure(oidc =>
        {
            oidc.ResponseMode = OpenIdConnectResponseMode.Query;
            oidc.CorrelationCookie.SameSite = SameSiteMode.Lax;
            oidc.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            oidc.NonceCookie.SameSite = SameSiteMode.Lax;
            oidc.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        return services;
    }
}
