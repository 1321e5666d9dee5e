using System.Globalization;
using System.Threading.RateLimiting;
using ChangeNotifications.Graph;
using ChangeNotifications.Graph.Emulator;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Web;

namespace ChangeNotifications.Admin;

internal static class AdminServiceCollectionExtensions
{
    /// <summary>The name of the admin API's authorization policy and of its rate-limiter policy.</summary>
    public const string Policy = "Admin";

    /// <summary>The Microsoft.Identity.Web section that says which tenant and app registration sign admin tokens.</summary>
    public const string AzureAdSection = "AzureAd";

    /// <summary>
    /// The admin API: options (section <c>Admin</c>), JWT bearer through Microsoft.Identity.Web (section
    /// <c>AzureAd</c>; in Live mode its tenant and client id default to <c>Graph</c>'s, in Emulator mode the built-in
    /// emulator is the authority), the policy requiring <see cref="AdminOptions.RequiredRole"/>, the rate limiter and
    /// the store queries. Tokens are checked on the host's clock.
    /// </summary>
    public static IServiceCollection AddAdminApi(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<AdminOptions>().Bind(configuration.GetSection(AdminOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AdminOptions>, AdminOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<AdminQueries>();

        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
            .AddMicrosoftIdentityWebApi(configuration.GetSection(AzureAdSection));
        services.AddOptions<MicrosoftIdentityOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<GraphOptions>>((identity, graph) => DefaultToGraphApp(identity, graph.Value));
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<TimeProvider>((bearer, time) => bearer.TokenValidationParameters.LifetimeValidator =
                (notBefore, expires, _, parameters) => IsWithinLifetime(time.GetUtcNow(), notBefore, expires, parameters.ClockSkew));
        services.AddEmulatorApiAuthority(configuration, JwtBearerDefaults.AuthenticationScheme);

        services.AddAuthorization();
        services.AddOptions<AuthorizationOptions>()
            .Configure<IOptions<AdminOptions>>((authorization, admin) =>
                authorization.AddPolicy(Policy, policy => policy.RequireRole(admin.Value.RequiredRole)));

        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>()
            .Configure<IOptions<AdminOptions>>((limiter, admin) => ConfigureRateLimit(limiter, admin.Value.RateLimit));
        return services;
    }

    /// <summary>
    /// The admin API's middleware: the rate limiter first (a flood costs no token validation), then authentication and
    /// authorization. For the branch of the pipeline the webhook POSTs never enter.
    /// </summary>
    public static IApplicationBuilder UseAdminApi(this IApplicationBuilder app) =>
        app.UseRateLimiter().UseAuthentication().UseAuthorization();

    /// <summary>A token's lifetime on the host's clock (the one the service and its emulator share), with the usual skew;
    /// a token without an expiry is refused.</summary>
    internal static bool IsWithinLifetime(DateTimeOffset now, DateTime? notBefore, DateTime? expires, TimeSpan skew) =>
        expires is { } until
        && now <= new DateTimeOffset(until.ToUniversalTime()) + skew
        && (notBefore is not { } from || new DateTimeOffset(from.ToUniversalTime()) - skew <= now);

    /// <summary>Live mode: the service's own app registration (Graph's) unless <c>AzureAd</c> names another.</summary>
    internal static void DefaultToGraphApp(MicrosoftIdentityOptions identity, GraphOptions graph)
    {
        if (string.IsNullOrWhiteSpace(identity.ClientId))
        {
            identity.ClientId = graph.ClientId;
        }

        if (string.IsNullOrWhiteSpace(identity.TenantId))
        {
            identity.TenantId = graph.TenantId;
        }

        if (string.IsNullOrWhiteSpace(identity.Instance))
        {
            identity.Instance = (graph.AuthorityHost ?? new Uri("https://login.microsoftonline.com/")).ToString();
        }
    }

    /// <summary>A fixed window per caller address; only endpoints that ask for <see cref="Policy"/> are limited.</summary>
    private static void ConfigureRateLimit(RateLimiterOptions limiter, AdminRateLimitOptions limits)
    {
        limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        limiter.OnRejected = (context, _) =>
        {
            if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
            {
                context.HttpContext.Response.Headers.RetryAfter =
                    ((long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            }

            return ValueTask.CompletedTask;
        };
        limiter.AddPolicy(Policy, context => RateLimitPartition.GetFixedWindowLimiter(
            context.Connection.RemoteIpAddress?.ToString() ?? string.Empty,
            _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = limits.PermitLimit,
                Window = limits.Window,
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
    }
}
