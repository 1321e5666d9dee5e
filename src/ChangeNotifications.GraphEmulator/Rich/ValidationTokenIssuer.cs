using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ChangeNotifications.GraphEmulator.Hosting;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ChangeNotifications.GraphEmulator.Rich;

/// <summary>
/// Signs the <c>validationTokens</c> of rich notifications as Microsoft's identity platform would for Graph Change
/// Tracking: v1 tokens (<c>iss</c> = <c>https://sts.windows.net/{tenant}/</c>), <c>aud</c> = the app's client id,
/// <c>appid</c>/<c>azp</c> = Graph Change Tracking, 1 h lifetime on the emulator's clock. The public key is published
/// through the OpenID metadata and JWKS endpoints.
/// </summary>
internal sealed class ValidationTokenIssuer : IDisposable
{
    /// <summary>The app id of Microsoft Graph Change Tracking, the publisher of rich notifications.</summary>
    public const string ChangeTrackingAppId = "0bf30f3b-4a52-48df-9a82-234910c4a086";

    private static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    // One signing key pair per process (key generation is slow and emulators start often in tests).
    private static readonly Lazy<byte[]> Pkcs12 = new(CreatePkcs12);

    private readonly GraphEmulatorOptions _options;
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    private readonly Lazy<SigningMaterial> _signing;

    public ValidationTokenIssuer(GraphEmulatorOptions options)
    {
        _options = options;
        _signing = new Lazy<SigningMaterial>(static () => new SigningMaterial(X509CertificateLoader.LoadPkcs12(Pkcs12.Value, password: null)));
    }

    /// <summary>The certificate whose key signs validation tokens (made on first use: key generation is slow).</summary>
    public X509Certificate2 SigningCertificate => _signing.Value.Certificate;

    public string KeyId => _signing.Value.KeyId;

    public X509SecurityKey SigningKey => _signing.Value.Key;

    public string Issue(string audienceAppId, string tenantId)
    {
        var now = _options.TimeProvider.GetUtcNow().UtcDateTime;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = $"https://sts.windows.net/{tenantId}/",
            Audience = audienceAppId,
            IssuedAt = now,
            NotBefore = now.AddMinutes(-5),
            Expires = now + Lifetime,
            Claims = new Dictionary<string, object>
            {
                ["appid"] = ChangeTrackingAppId,
                ["azp"] = ChangeTrackingAppId,
                ["appidacr"] = "2",
                ["tid"] = tenantId,
                ["ver"] = "1.0",
            },
            SigningCredentials = new SigningCredentials(SigningKey, SecurityAlgorithms.RsaSha256),
        });
    }

    public void Dispose()
    {
        if (_signing.IsValueCreated)
        {
            _signing.Value.Certificate.Dispose();
        }
    }

    private sealed class SigningMaterial(X509Certificate2 certificate)
    {
        public X509Certificate2 Certificate { get; } = certificate;

        public string KeyId { get; } = Base64UrlEncoder.Encode(certificate.GetCertHash());

        public X509SecurityKey Key { get; } = new(certificate, Base64UrlEncoder.Encode(certificate.GetCertHash()));
    }

    private static byte[] CreatePkcs12()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=ChangeNotifications emulator token signing", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var now = DateTimeOffset.UtcNow;
        using var created = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
        return created.Export(X509ContentType.Pkcs12);
    }
}
