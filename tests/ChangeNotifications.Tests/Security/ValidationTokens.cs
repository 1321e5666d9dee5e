using System.Text.Json;
using ChangeNotifications.Security;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ChangeNotifications.Tests.Security;

/// <summary>Validation tokens as Graph sends them (v1: sts.windows.net issuer + appid; v2: login.microsoftonline.com issuer + azp).</summary>
internal static class ValidationTokens
{
    public sealed record Spec(string TenantId, string Audience, DateTimeOffset Now)
    {
        public string Version { get; init; } = "1.0";

        public string? Issuer { get; init; }

        public string Publisher { get; init; } = RichNotificationsOptions.GraphChangeTrackingAppId;

        public DateTimeOffset? NotBefore { get; init; }

        public DateTimeOffset? Expires { get; init; }

        /// <summary>Claims added as they are (e.g. an <c>azp</c> on a v1 token).</summary>
        public IReadOnlyDictionary<string, object> ExtraClaims { get; init; } = new Dictionary<string, object>();
    }

    public static string Create(Spec spec, SecurityKey signingKey)
    {
        var v2 = spec.Version == "2.0";
        var claims = new Dictionary<string, object>
        {
            ["ver"] = spec.Version,
            ["tid"] = spec.TenantId,
            [v2 ? "azp" : "appid"] = spec.Publisher,
            ["oid"] = Guid.NewGuid().ToString(),
        };
        foreach (var (name, value) in spec.ExtraClaims)
        {
            claims[name] = value;
        }

        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = spec.Issuer ?? (v2 ? $"https://login.microsoftonline.com/{spec.TenantId}/v2.0" : $"https://sts.windows.net/{spec.TenantId}/"),
            Audience = spec.Audience,
            IssuedAt = (spec.NotBefore ?? spec.Now.AddMinutes(-5)).UtcDateTime,
            NotBefore = (spec.NotBefore ?? spec.Now.AddMinutes(-5)).UtcDateTime,
            Expires = (spec.Expires ?? spec.Now.AddMinutes(55)).UtcDateTime,
            Claims = claims,
            // Keys are shared across tests (TestCertificates.Key): keep IdentityModel's process-wide signer cache out of it.
            SigningCredentials = new SigningCredentials(signingKey, SecurityAlgorithms.RsaSha256)
            {
                CryptoProviderFactory = new CryptoProviderFactory { CacheSignatureProviders = false },
            },
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    /// <summary>A key of the same id the server publishes, but another RSA key: a forged signature.</summary>
    public static SecurityKey ForgedKey(string keyId) => new RsaSecurityKey(TestCertificates.Key("forger")) { KeyId = keyId };

    public static string Json(params string[] tokens) => JsonSerializer.Serialize(tokens);
}
