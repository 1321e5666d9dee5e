using Microsoft.Extensions.Options;

namespace ChangeNotifications.Security;

/// <summary>
/// Checks what can be checked without loading anything: ids, the metadata address, the app ids. The certificates
/// themselves (private key, expiry, key size) are checked when they are loaded at start (<see cref="EncryptionCertificateLoader"/>).
/// Simple bounds are the attributes' (<see cref="RichNotificationsOptionsBoundsValidator"/>).
/// </summary>
internal sealed class RichNotificationsOptionsValidator : IValidateOptions<RichNotificationsOptions>
{
    public const int MaxCertificateIdLength = 128;
    private const string S = RichNotificationsOptions.Section;
    private readonly RichNotificationsOptionsBoundsValidator _bounds = new();

    public ValidateOptionsResult Validate(string? name, RichNotificationsOptions options)
    {
        var errors = new List<string>();
        if (_bounds.Validate(name, options) is { Failed: true } bounds)
        {
            errors.AddRange(bounds.Failures);
        }

        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < options.Certificates.Count; i++)
        {
            var id = options.Certificates[i].EncryptionCertificateId;
            var setting = $"{S}:Certificates:{i}:EncryptionCertificateId";
            if (string.IsNullOrWhiteSpace(id))
            {
                errors.Add($"{setting} is missing: give each certificate the id Graph will echo back (at most {MaxCertificateIdLength} characters).");
            }
            else if (id.Length > MaxCertificateIdLength)
            {
                errors.Add($"{setting} is {id.Length} characters long; Graph allows at most {MaxCertificateIdLength}.");
            }
            else if (!ids.TryAdd(id, i))
            {
                errors.Add($"{setting} '{id}' repeats {S}:Certificates:{ids[id]}; each certificate needs its own id.");
            }
        }

        ValidateMetadataAddress(options, errors);

        foreach (var appId in options.AppIds.Where(a => !Guid.TryParse(a, out _)))
        {
            errors.Add($"{S}:AppIds '{appId}' is not an app (client) id: give the GUID of the application registration.");
        }

        if (!options.EmulatorMode && options.Certificates.Count > 0 && options.AppIds.Count == 0)
        {
            errors.Add($"{S}:AppIds is empty (and neither Graph:ClientId nor AzureAd:ClientId is set): validation tokens of rich notifications are checked against this app id.");
        }

        if (!options.EmulatorMode && options.Certificates.Count > 0 && options.TenantIds.Count == 0)
        {
            errors.Add("Graph:AllowedTenantIds is empty and Graph:TenantId is not a tenant id (a GUID): validation tokens of rich notifications are accepted only from the tenants listed there.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidateMetadataAddress(RichNotificationsOptions options, List<string> errors)
    {
        if (options.MetadataAddress is null)
        {
            return;
        }

        if (!Uri.TryCreate(options.MetadataAddress, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            errors.Add($"{S}:MetadataAddress '{options.MetadataAddress}' is not an absolute URL of an OpenID Connect metadata document.");
        }
        else if (uri.Scheme != Uri.UriSchemeHttps && !options.EmulatorMode)
        {
            errors.Add($"{S}:MetadataAddress '{options.MetadataAddress}' must use HTTPS (plain HTTP is allowed in Emulator mode only).");
        }
    }
}
