using Microsoft.Extensions.Options;

namespace ChangeNotifications.Graph;

/// <summary>
/// Start-up checks of section <c>Graph</c>; every message names the setting. Simple bounds are the attributes'
/// (<see cref="GraphOptionsBoundsValidator"/>); here are the formats and the rules that depend on <c>Graph:Mode</c>.
/// </summary>
internal sealed class GraphOptionsValidator : IValidateOptions<GraphOptions>
{
    private readonly GraphOptionsBoundsValidator _bounds = new();

    public ValidateOptionsResult Validate(string? name, GraphOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (_bounds.Validate(name, options) is { Failed: true } bounds)
        {
            failures.AddRange(bounds.Failures);
        }

        if (!Enum.IsDefined(options.Mode))
        {
            failures.Add($"{GraphOptions.Section}:Mode must be Emulator or Live.");
        }

        if (options.BaseUrl is { } baseUrl && (!baseUrl.IsAbsoluteUri || baseUrl.Scheme != Uri.UriSchemeHttps))
        {
            failures.Add($"{GraphOptions.Section}:BaseUrl must be an absolute https URL such as https://graph.microsoft.com/v1.0.");
        }

        if (options.AuthorityHost is { } authority && (!authority.IsAbsoluteUri || authority.Scheme != Uri.UriSchemeHttps))
        {
            failures.Add($"{GraphOptions.Section}:AuthorityHost must be an absolute https URL such as https://login.microsoftonline.com/.");
        }

        if (options.ClientId is { Length: > 0 } clientId && !Guid.TryParse(clientId, out _))
        {
            failures.Add($"{GraphOptions.Section}:ClientId must be the app's (client) id, a GUID.");
        }

        foreach (var tenant in options.AllowedTenantIds.Where(t => !Guid.TryParse(t, out _)))
        {
            failures.Add($"{GraphOptions.Section}:AllowedTenantIds '{tenant}' is not a tenant id: give the directory (tenant) id, a GUID.");
        }

        if (options.Mode == GraphMode.Live)
        {
            ValidateLive(options, failures);
        }
        else
        {
            ValidateEmulator(options.Emulator, failures);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateEmulator(GraphEmulatorSettings emulator, List<string> failures)
    {
        if (emulator.Port is < 0 or > 65535)
        {
            failures.Add($"{GraphOptions.Section}:Emulator:Port must be between 0 (any free port) and 65535.");
        }

        if (emulator.Url is { } url && (!url.IsAbsoluteUri || url.Scheme != Uri.UriSchemeHttps))
        {
            failures.Add($"{GraphOptions.Section}:Emulator:Url must be the emulator's absolute https address (got '{url}').");
        }

        var hash = emulator.CertificateSha256;
        if (emulator.Url is not null && (hash is null || hash.Length != 64 || !hash.All(Uri.IsHexDigit)))
        {
            failures.Add($"{GraphOptions.Section}:Emulator:CertificateSha256 must be the 64 hex digits of the emulator's certificate hash (it prints them at start) when {GraphOptions.Section}:Emulator:Url is set.");
        }
    }

    private static void ValidateLive(GraphOptions options, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(options.TenantId))
        {
            failures.Add($"{GraphOptions.Section}:TenantId is required when {GraphOptions.Section}:Mode is Live.");
        }

        // A managed identity signs in without the app id; it is then needed only to check rich notifications' tokens,
        // which RichNotifications' own validation asks for.
        if (string.IsNullOrWhiteSpace(options.ClientId) && !options.ManagedIdentity)
        {
            failures.Add($"{GraphOptions.Section}:ClientId is required when {GraphOptions.Section}:Mode is Live with a client secret or certificate.");
        }

        var credentials = (string.IsNullOrWhiteSpace(options.ClientSecret) ? 0 : 1)
            + (options.ClientCertificate is null ? 0 : 1)
            + (options.ManagedIdentity ? 1 : 0);
        if (credentials != 1)
        {
            failures.Add(
                $"{GraphOptions.Section}:ClientSecret, {GraphOptions.Section}:ClientCertificate or {GraphOptions.Section}:ManagedIdentity: " +
                $"Live mode needs exactly one credential, {credentials} given.");
        }

        ValidateManagedIdentity(options, failures);

        if (options.ClientCertificate is { SourceType: var source } certificate
            && source == Microsoft.Identity.Web.CertificateSource.Path
            && string.IsNullOrWhiteSpace(certificate.CertificateDiskPath))
        {
            failures.Add($"{GraphOptions.Section}:ClientCertificate:CertificateDiskPath is required when its SourceType is Path.");
        }
    }

    private static void ValidateManagedIdentity(GraphOptions options, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(options.ManagedIdentityClientId))
        {
            return;
        }

        if (!options.ManagedIdentity)
        {
            failures.Add(
                $"{GraphOptions.Section}:ManagedIdentityClientId is set but {GraphOptions.Section}:ManagedIdentity is not true: " +
                "set both to sign in as that user-assigned identity, or remove it.");
        }
        else if (!Guid.TryParse(options.ManagedIdentityClientId, out _))
        {
            failures.Add($"{GraphOptions.Section}:ManagedIdentityClientId must be the user-assigned identity's client id, a GUID.");
        }
    }
}
