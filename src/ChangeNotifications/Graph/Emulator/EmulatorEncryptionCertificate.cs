using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ChangeNotifications.Security;

namespace ChangeNotifications.Graph.Emulator;

/// <summary>
/// Emulator mode without configured certificates: a self-signed RSA 2048 certificate made once and kept as a PFX in
/// the data folder, so that subscriptions created before a restart still decrypt after it.
/// </summary>
internal static class EmulatorEncryptionCertificate
{
    public const string IdPrefix = "emulator-";
    private static readonly TimeSpan Validity = TimeSpan.FromDays(730);

    /// <summary>Loads the PFX at <paramref name="path"/>, or makes (and saves) a new one when missing or no longer usable.</summary>
    public static X509Certificate2 LoadOrCreate(string path, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (TryLoad(path) is { } existing)
        {
            if (CertificateRequirements.Problem(existing, now.AddDays(1)) is null)
            {
                return existing;
            }

            existing.Dispose();
        }

        var created = Create(now);
        Save(created, path);
        return created;
    }

    /// <summary>The id sent as <c>encryptionCertificateId</c>: stable for one certificate, new for a new one.</summary>
    public static string IdFor(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return IdPrefix + certificate.Thumbprint.ToLowerInvariant();
    }

    /// <summary>The kept certificate, or null when there is none or it cannot be read (it is then made anew).</summary>
    private static X509Certificate2? TryLoad(string path)
    {
        try
        {
            return File.Exists(path) ? X509CertificateLoader.LoadPkcs12FromFile(path, password: null, X509KeyStorageFlags.EphemeralKeySet) : null;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static X509Certificate2 Create(DateTimeOffset now)
    {
        using var key = RSA.Create(CertificateRequirements.MinKeySize);
        var request = new CertificateRequest("CN=ChangeNotifications rich notifications (emulator)", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.DataEncipherment, critical: true));
        using var selfSigned = request.CreateSelfSigned(now.AddDays(-1), now.Add(Validity));
        return X509CertificateLoader.LoadPkcs12(selfSigned.Export(X509ContentType.Pkcs12), password: null, X509KeyStorageFlags.EphemeralKeySet);
    }

    private static void Save(X509Certificate2 certificate, string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        // Written aside and moved into place: a crash never leaves half a key file behind.
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var file = new FileStream(temporary, options))
        {
            file.Write(certificate.Export(X509ContentType.Pkcs12));
        }

        File.Move(temporary, path, overwrite: true);
    }
}
