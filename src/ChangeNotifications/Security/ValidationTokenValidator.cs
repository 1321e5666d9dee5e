using ChangeNotifications.Graph;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace ChangeNotifications.Security;

/// <summary>The outcome of checking a batch's validation tokens.</summary>
internal sealed record TokenVerdict(bool IsValid, string? Reason)
{
    public static TokenVerdict Valid { get; } = new(true, null);

    public static TokenVerdict Invalid(string reason) => new(false, reason);
}

/// <summary>
/// Checks the validation tokens of a rich-notification batch as Graph's docs ask, which the SDK's
/// <c>AreTokensValidAsync</c> does only in part: signature against the issuer's keys (OpenID metadata cached and
/// refreshed by one <see cref="ConfigurationManager{T}"/>, not fetched per call), lifetime at the time the batch was
/// received, audience = our app id(s), issuer (and <c>tid</c>) = the item's tenant (v1 or v2 form), which must be one
/// of the configured tenants (<see cref="RichNotificationsOptions.TenantIds"/>), and the publisher — <c>azp</c>
/// (v2) or <c>appid</c> (v1) — = Microsoft Graph Change Tracking. Every token must pass.
/// </summary>
internal sealed class ValidationTokenValidator
{
    /// <summary>The named HttpClient that fetches metadata and keys (Emulator mode pins the emulator's certificate on it).</summary>
    public const string MetadataClientName = "RichNotifications.Metadata";

    private readonly JsonWebTokenHandler _handler = new();
    private readonly RichNotificationsOptions _options;
    private readonly Lazy<ConfigurationManager<OpenIdConnectConfiguration>> _metadata;

    /// <param name="graphEndpoints">Where Graph is (Emulator mode: the emulator, started on first need); may give null.</param>
    public ValidationTokenValidator(IOptions<RichNotificationsOptions> options, IHttpClientFactory httpClients, Func<GraphEndpoints?> graphEndpoints)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(graphEndpoints);
        _options = options.Value;
        var retriever = new FactoryDocumentRetriever(httpClients, requireHttps: !_options.EmulatorMode);
        // Built on first use: in Emulator mode the emulator (and its dynamic port) is there by then.
        _metadata = new Lazy<ConfigurationManager<OpenIdConnectConfiguration>>(() =>
            new ConfigurationManager<OpenIdConnectConfiguration>(MetadataAddressFor(_options, graphEndpoints), new OpenIdConnectConfigurationRetriever(), retriever));
    }

    /// <summary>
    /// The configured <c>MetadataAddress</c>; when unset, the emulator's in Emulator mode, else Microsoft's
    /// (<see cref="RichNotificationsOptions.DefaultMetadataAddress"/>).
    /// </summary>
    public static string MetadataAddressFor(RichNotificationsOptions options, Func<GraphEndpoints?> graphEndpoints)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(graphEndpoints);
        if (!string.IsNullOrWhiteSpace(options.MetadataAddress))
        {
            return options.MetadataAddress;
        }

        return options.EmulatorMode && graphEndpoints() is { } endpoints
            ? endpoints.OpenIdConfigurationUrl.AbsoluteUri
            : RichNotificationsOptions.DefaultMetadataAddress;
    }

    /// <summary>
    /// Checks every token. Returns a verdict for tokens that fail; throws (so the item is retried later) when the
    /// issuer's metadata cannot be fetched, which says nothing about the tokens.
    /// </summary>
    public async Task<TokenVerdict> ValidateAsync(IReadOnlyList<string> tokens, Guid tenantId, DateTimeOffset receivedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.Count == 0)
        {
            return TokenVerdict.Invalid("the batch carries no validation tokens");
        }

        if (!_options.TenantIds.Contains(tenantId))
        {
            return TokenVerdict.Invalid($"tenant {tenantId:D} is not one this service is configured for (Graph:TenantId, Graph:AllowedTenantIds)");
        }

        var manager = _metadata.Value;
        await manager.GetConfigurationAsync(cancellationToken);
        var parameters = ParametersFor(manager, tenantId, receivedAt);
        for (var i = 0; i < tokens.Count; i++)
        {
            var result = await _handler.ValidateTokenAsync(tokens[i], parameters);
            if (!result.IsValid)
            {
                if (result.Exception is not (SecurityTokenException or ArgumentException))
                {
                    throw new InvalidOperationException("Validation tokens could not be checked now (issuer metadata unavailable).", result.Exception);
                }

                return TokenVerdict.Invalid($"token {i + 1} of {tokens.Count}: {Describe(result.Exception)}");
            }

            if ((PublisherProblem(result) ?? TenantProblem(result, tenantId)) is { } problem)
            {
                return TokenVerdict.Invalid($"token {i + 1} of {tokens.Count}: {problem}");
            }
        }

        return TokenVerdict.Valid;
    }

    /// <summary>The issuers accepted for a tenant: v1 (<c>sts.windows.net</c>) and v2 (<c>login.microsoftonline.com/…/v2.0</c>).</summary>
    public static IReadOnlySet<string> IssuersFor(Guid tenantId) => new HashSet<string>(StringComparer.Ordinal)
    {
        $"https://sts.windows.net/{tenantId:D}/",
        $"https://login.microsoftonline.com/{tenantId:D}/v2.0",
    };

    private TokenValidationParameters ParametersFor(ConfigurationManager<OpenIdConnectConfiguration> manager, Guid tenantId, DateTimeOffset receivedAt)
    {
        var issuers = IssuersFor(tenantId);
        var skew = _options.ClockSkew;
        return new TokenValidationParameters
        {
            ConfigurationManager = manager,
            RequireSignedTokens = true,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            ValidateAudience = true,
            ValidAudiences = _options.AppIds,
            ValidateIssuer = true,
            // Only the item's tenant: not whatever issuer the (common) metadata document names.
            IssuerValidator = (issuer, _, _) => issuers.Contains(issuer)
                ? issuer
                : throw new SecurityTokenInvalidIssuerException("The issuer is not the notification's tenant."),
            ValidateLifetime = true,
            RequireExpirationTime = true,
            ClockSkew = skew,
            // Lifetime as of when Graph delivered the batch (recorded at intake), so that a retry hours later still passes.
            LifetimeValidator = (notBefore, expires, _, _) =>
                expires is { } exp && receivedAt.UtcDateTime < exp.ToUniversalTime() + skew &&
                (notBefore is not { } nbf || receivedAt.UtcDateTime >= nbf.ToUniversalTime() - skew),
        };
    }

    private static string? PublisherProblem(TokenValidationResult result)
    {
        var version = result.Claims.TryGetValue("ver", out var ver) ? ver?.ToString() : null;
        var claim = version == "2.0" ? "azp" : "appid";
        var publisher = result.Claims.TryGetValue(claim, out var value) ? value?.ToString() : null;
        return string.Equals(publisher, RichNotificationsOptions.GraphChangeTrackingAppId, StringComparison.OrdinalIgnoreCase)
            ? null
            : $"'{claim}' is not Microsoft Graph Change Tracking ({RichNotificationsOptions.GraphChangeTrackingAppId})";
    }

    /// <summary>A <c>tid</c> claim, when the token has one, names the same tenant as the issuer.</summary>
    private static string? TenantProblem(TokenValidationResult result, Guid tenantId) =>
        result.Claims.TryGetValue("tid", out var tid) && !(Guid.TryParse(tid?.ToString(), out var id) && id == tenantId)
            ? "'tid' is not the notification's tenant"
            : null;

    private static string Describe(Exception? error) => error switch
    {
        SecurityTokenInvalidAudienceException => "audience is not this app",
        SecurityTokenInvalidIssuerException => "issuer is not the notification's tenant",
        SecurityTokenInvalidLifetimeException or SecurityTokenExpiredException or SecurityTokenNotYetValidException or SecurityTokenNoExpirationException
            => "expired (or not yet valid) when the batch was received",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "signature does not verify against the issuer's keys",
        SecurityTokenInvalidAlgorithmException => "signing algorithm is not RS256",
        SecurityTokenMalformedException or ArgumentException => "not a well-formed JWT",
        null => "rejected",
        _ => $"rejected ({error.GetType().Name})",
    };

    /// <summary>Fetches metadata and keys through a fresh client of the factory each time (handler rotation, pinning in Emulator mode).</summary>
    private sealed class FactoryDocumentRetriever(IHttpClientFactory httpClients, bool requireHttps) : IDocumentRetriever
    {
        public Task<string> GetDocumentAsync(string address, CancellationToken cancel) =>
            new HttpDocumentRetriever(httpClients.CreateClient(MetadataClientName)) { RequireHttps = requireHttps }.GetDocumentAsync(address, cancel);
    }
}
