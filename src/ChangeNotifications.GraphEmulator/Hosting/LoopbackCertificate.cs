using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ChangeNotifications.GraphEmulator.Hosting;

/// <summary>
/// The emulator's TLS certificate: self-signed, made at start for 127.0.0.1 and localhost. Azure.Identity
/// refuses an http authority host, so the emulator speaks HTTPS and clients pin exactly this certificate.
/// </summary>
internal static class LoopbackCertificate
{
    // RSA key generation is the slow part of starting an emulator; tests start many, so one key pair per process.
    private static readonly Lazy<byte[]> Pkcs12 = new(CreatePkcs12);

    /// <summary>A new instance (the caller disposes it) of this process's emulator certificate.</summary>
    public static X509Certificate2 Create() => X509CertificateLoader.LoadPkcs12(Pkcs12.Value, password: null);

    private static byte[] CreatePkcs12()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=ChangeNotifications Graph emulator", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));

        // Real time, not the emulator's clock: TLS stacks check validity against the machine's clock.
        var now = DateTimeOffset.UtcNow;
        using var created = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
        return created.Export(X509ContentType.Pkcs12);
    }

    /// <summary>A handler that accepts exactly <paramref name="pinned"/> as the server's certificate.</summary>
    public static HttpMessageHandler CreatePinningHandler(X509Certificate2 pinned)
    {
        var expected = pinned.GetCertHash(HashAlgorithmName.SHA256);
        return new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    certificate is not null
                    && CryptographicOperations.FixedTimeEquals(certificate.GetCertHash(HashAlgorithmName.SHA256), expected),
            },
        };
    }
}
