using ChangeNotifications.Graph.Emulator;
using ChangeNotifications.Storage;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Web;

namespace ChangeNotifications.Security;

/// <summary>
/// Loads the configured certificates through Microsoft.Identity.Web's <see cref="DefaultCertificateLoader"/> (Path,
/// Base64Encoded, StoreWithThumbprint, KeyVault …) and checks each; in Emulator mode with none configured, loads or
/// makes the emulator's. Anything unusable stops start-up with an <see cref="OptionsValidationException"/> naming the setting.
/// </summary>
internal sealed partial class EncryptionCertificateLoader(
    IOptions<RichNotificationsOptions> options,
    DataFolder dataFolder,
    TimeProvider time,
    ILogger<EncryptionCertificateLoader> logger,
    ILogger<DefaultCertificateLoader> loaderLogger)
{
    /// <summary>The configured certificates, each checked; throws <see cref="OptionsValidationException"/> naming every bad one.</summary>
    public async Task<IReadOnlyList<DecryptionCertificate>> LoadAsync()
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        if (settings.Certificates.Count == 0)
        {
            return [];
        }

        var loader = new DefaultCertificateLoader(loaderLogger);
        var loaded = new List<DecryptionCertificate>();
        var errors = new List<string>();
        for (var i = 0; i < settings.Certificates.Count; i++)
        {
            var description = settings.Certificates[i];
            var setting = $"{RichNotificationsOptions.Section}:Certificates:{i}";
            var id = description.EncryptionCertificateId!;
            try
            {
                await loader.LoadIfNeededAsync(description);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                errors.Add($"{setting} ('{id}', SourceType {description.SourceType}) could not be loaded: {ex.GetType().Name}: {ex.Message}");
                continue;
            }

            if (description.Certificate is not { } certificate)
            {
                errors.Add($"{setting} ('{id}', SourceType {description.SourceType}) could not be loaded: check its source settings (path, store, thumbprint, Key Vault).");
                continue;
            }

            if (CertificateRequirements.Problem(certificate, now) is { } problem)
            {
                errors.Add($"{setting} ('{id}', thumbprint {certificate.Thumbprint}) {problem}.");
                continue;
            }

            loaded.Add(new DecryptionCertificate(id, certificate, setting));
        }

        if (errors.Count > 0)
        {
            throw new OptionsValidationException(RichNotificationsOptions.Section, typeof(RichNotificationsOptions), errors);
        }

        foreach (var certificate in loaded)
        {
            LogLoaded(logger, certificate.Id, certificate.Certificate.Thumbprint, certificate.Certificate.NotBefore.ToUniversalTime(), certificate.Certificate.NotAfter.ToUniversalTime(), certificate.Setting);
        }

        return loaded;
    }

    /// <summary>Emulator mode: the certificate kept in the data folder, made on first call when missing.</summary>
    public DecryptionCertificate LoadEmulatorCertificate()
    {
        var path = Path.Combine(dataFolder.Path, options.Value.EmulatorCertificateFileName);
        var certificate = EmulatorEncryptionCertificate.LoadOrCreate(path, time.GetUtcNow());
        var id = EmulatorEncryptionCertificate.IdFor(certificate);
        LogEmulatorCertificate(logger, id, certificate.Thumbprint, path);
        return new DecryptionCertificate(id, certificate, path);
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Decryption certificate {CertificateId} loaded (thumbprint {Thumbprint}, valid {NotBefore:u} to {NotAfter:u}) from {Setting}")]
    private static partial void LogLoaded(ILogger logger, string certificateId, string thumbprint, DateTime notBefore, DateTime notAfter, string setting);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Information, Message = "Emulator mode: decryption certificate {CertificateId} (thumbprint {Thumbprint}) kept in {Path}")]
    private static partial void LogEmulatorCertificate(ILogger logger, string certificateId, string thumbprint, string path);
}
