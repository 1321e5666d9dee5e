using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Identity.Web;

namespace ChangeNotifications.Graph.Emulator;

/// <summary>
/// In Emulator mode, makes the built-in emulator the authority of the service's own API (the admin API): Microsoft.Identity.Web
/// reads its OpenID metadata and keys over HTTPS, trusting exactly the emulator's certificate, and accepts the tokens its
/// token endpoint issues to the seeded admin clients for the emulated app. Nothing changes in Live mode.
/// </summary>
internal static class EmulatorApiAuthority
{
    /// <summary>The named HttpClient Identity.Web's issuer validator reads the metadata with (it does not use the
    /// bearer handler's back channel).</summary>
    public const string IssuerMetadataClient = "graph-emulator-issuer";

    public static IServiceCollection AddEmulatorApiAuthority(this IServiceCollection services, IConfiguration configuration, string scheme)
    {
        if (string.Equals(configuration[$"{GraphOptions.Section}:{nameof(GraphOptions.Mode)}"], nameof(GraphMode.Live), StringComparison.OrdinalIgnoreCase))
        {
            return services;
        }

        // Read when the first token is checked: the host starts the emulator before it serves requests.
        services.AddOptions<MicrosoftIdentityOptions>(scheme).Configure<EmulatorHost>((identity, host) =>
        {
            var emulator = host.Server;
            identity.Instance = emulator.AuthorityHost.ToString();
            identity.TenantId = emulator.TenantId;
            identity.ClientId = emulator.ClientId;
            identity.Authority = null;
        });
        services.AddOptions<JwtBearerOptions>(scheme).Configure<EmulatorHost>((bearer, host) =>
            bearer.BackchannelHttpHandler = host.Server.CreateTrustingHandler());
        services.AddOptions<AadIssuerValidatorOptions>().Configure(o => o.HttpClientName = IssuerMetadataClient);
        services.AddHttpClient(IssuerMetadataClient)
            .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<EmulatorHost>().Server.CreateTrustingHandler());
        return services;
    }
}
