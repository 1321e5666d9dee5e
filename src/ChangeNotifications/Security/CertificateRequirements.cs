using System.Globalization;
using System.Security.Cryptography.X509Certificates;

namespace ChangeNotifications.Security;

/// <summary>What Graph and this service need of a decryption certificate: RSA 2048–4096 bits, a private key, not expired.</summary>
internal static class CertificateRequirements
{
    public const int MinKeySize = 2048;
    public const int MaxKeySize = 4096;

    /// <summary>What is wrong with <paramref name="certificate"/> at <paramref name="now"/>, or null when it fits.</summary>
    public static string? Problem(X509Certificate2 certificate, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        using var publicKey = certificate.GetRSAPublicKey();
        if (publicKey is null)
        {
            return $"is not an RSA certificate; Graph requires RSA keys of {MinKeySize} to {MaxKeySize} bits";
        }

        if (publicKey.KeySize is < MinKeySize or > MaxKeySize)
        {
            return $"has a {publicKey.KeySize}-bit key; Graph requires RSA keys of {MinKeySize} to {MaxKeySize} bits";
        }

        if (!certificate.HasPrivateKey)
        {
            return "has no private key; Graph encrypts with the public key, and this service needs the private key to decrypt";
        }

        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        if (notAfter <= now)
        {
            return $"expired on {notAfter.ToString("u", CultureInfo.InvariantCulture)}";
        }

        return null;
    }
}
