using Microsoft.Extensions.Options;
using Microsoft.Identity.Web;

namespace ChangeNotifications.Security;

/// <summary>Settings of section <c>RichNotifications</c>: decryption certificates and validation-token checks.</summary>
internal sealed class RichNotificationsOptions
{
    public const string Section = "RichNotifications";

    /// <summary>Microsoft Graph Change Tracking: the only publisher (<c>azp</c> / <c>appid</c>) accepted in validation tokens.</summary>
    public const string GraphChangeTrackingAppId = "0bf30f3b-4a52-48df-9a82-234910c4a086";

    public const string DefaultMetadataAddress = "https://login.microsoftonline.com/common/.well-known/openid-configuration";

    /// <summary>
    /// Decryption certificates. Every one can decrypt; the newest (latest <c>NotBefore</c> that has begun) is sent to
    /// Graph on create. Keep an old one listed until no subscription uses it any more.
    /// </summary>
    public List<EncryptionCertificateOptions> Certificates { get; set; } = [];

    /// <summary>
    /// OpenID Connect metadata whose JWKS signs validation tokens; HTTPS, except in Emulator mode. Unset: the emulator's
    /// in Emulator mode, Microsoft's (<see cref="DefaultMetadataAddress"/>) in Live mode.
    /// </summary>
    public string? MetadataAddress { get; set; }

    /// <summary>
    /// The app (client) ids validation tokens must be issued to (<c>aud</c>). Empty: <c>Graph:ClientId</c>, else
    /// <c>AzureAd:ClientId</c>, else in Emulator mode the emulator's seeded client id.
    /// </summary>
    public List<string> AppIds { get; set; } = [];

    /// <summary>How long a batch's verdict on its validation tokens is kept, so that its items are checked once.</summary>
    [SettingRange(typeof(TimeSpan), "00:00:00", SettingRangeAttribute.MaxTimeSpan, MinimumIsExclusive = true, ErrorMessage = $"{Section}:VerdictCacheDuration must be positive (got {{3}}).")]
    public TimeSpan VerdictCacheDuration { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Tolerance on the tokens' <c>nbf</c> / <c>exp</c>.</summary>
    [SettingRange(typeof(TimeSpan), "00:00:00", "00:10:00", ErrorMessage = $"{Section}:ClockSkew must be between 00:00:00 and 00:10:00 (got {{3}}).")]
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Set from <c>Graph:AllowedTenantIds</c>, else <c>Graph:TenantId</c> when it is a GUID (in Emulator mode, else the
    /// emulator's tenant): the only tenants whose validation tokens are accepted.
    /// </summary>
    public IReadOnlySet<Guid> TenantIds { get; set; } = new HashSet<Guid>();

    /// <summary>Set from <c>Graph:Mode</c> (not bound): Emulator mode allows an http metadata address and a generated certificate.</summary>
    public bool EmulatorMode { get; set; }

    /// <summary>File name of the certificate generated in Emulator mode, in the service's data folder.</summary>
    public string EmulatorCertificateFileName { get; set; } = "rich-notifications-emulator.pfx";
}

/// <summary>
/// One decryption certificate (<c>RichNotifications:Certificates:{n}</c>): Microsoft.Identity.Web's certificate
/// description (<c>SourceType</c> Path / Base64Encoded / StoreWithThumbprint / KeyVault …) plus the id Graph echoes
/// back as <c>encryptionCertificateId</c>.
/// </summary>
internal sealed class EncryptionCertificateOptions : CertificateDescription
{
    /// <summary>Sent to Graph as <c>encryptionCertificateId</c> (at most 128 characters); Graph echoes it in each item.</summary>
    public string? EncryptionCertificateId { get; set; }
}

/// <summary>The simple bounds of <see cref="RichNotificationsOptions"/>, from its DataAnnotations attributes.</summary>
[OptionsValidator]
internal sealed partial class RichNotificationsOptionsBoundsValidator : IValidateOptions<RichNotificationsOptions>;
