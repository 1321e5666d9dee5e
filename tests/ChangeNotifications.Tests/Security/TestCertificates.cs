using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ChangeNotifications.Tests.Infrastructure;

namespace ChangeNotifications.Tests.Security;

/// <summary>Self-signed certificates for tests, and the settings that configure them.</summary>
internal static class TestCertificates
{
    private static readonly ConcurrentDictionary<(string Name, int KeySize), byte[]> Keys = new();

    /// <summary>
    /// A self-signed certificate. Its RSA key is made once per name and size for the whole test run (key generation
    /// is the slow part): certificates of different names have different keys. By default it is valid on the real clock
    /// and on the fake one the service's tests run on (<see cref="ServiceFactory.Start"/>), whichever is earlier.
    /// </summary>
    public static X509Certificate2 Create(string name = "test", int keySize = 2048, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        using var key = Key(name, keySize);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var now = DateTimeOffset.UtcNow;
        var earliest = now < ServiceFactory.Start ? now : ServiceFactory.Start;
        using var created = request.CreateSelfSigned(notBefore ?? earliest.AddDays(-1), notAfter ?? now.AddYears(1));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), password: null);
    }

    /// <summary>A copy of the RSA key kept for <paramref name="name"/> (a fresh instance: RSA objects are not shared across threads).</summary>
    public static RSA Key(string name, int keySize = 2048)
    {
        var pkcs8 = Keys.GetOrAdd((name, keySize), k =>
        {
            using var created = RSA.Create(k.KeySize);
            return created.ExportPkcs8PrivateKey();
        });
        var key = RSA.Create();
        key.ImportPkcs8PrivateKey(pkcs8, out _);
        return key;
    }

    /// <summary>The public part only, as Graph holds it.</summary>
    public static X509Certificate2 PublicOnly(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadCertificate(certificate.Export(X509ContentType.Cert));

    /// <summary>Settings of <c>RichNotifications:Certificates:{index}</c> carrying <paramref name="certificate"/> as base64.</summary>
    public static Dictionary<string, string?> Base64Setting(int index, string id, X509Certificate2 certificate, bool withPrivateKey = true)
    {
        var bytes = withPrivateKey ? certificate.Export(X509ContentType.Pkcs12) : certificate.Export(X509ContentType.Cert);
        var prefix = $"RichNotifications:Certificates:{index}";
        return new Dictionary<string, string?>
        {
            [$"{prefix}:EncryptionCertificateId"] = id,
            [$"{prefix}:SourceType"] = "Base64Encoded",
            [$"{prefix}:Base64EncodedValue"] = Convert.ToBase64String(bytes),
        };
    }

    /// <summary>Settings of <c>RichNotifications:Certificates:{index}</c> loading a PFX file written for the test.</summary>
    public static Dictionary<string, string?> PathSetting(int index, string id, X509Certificate2 certificate, string folder)
    {
        var path = Path.Combine(folder, $"{id}.pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12));
        var prefix = $"RichNotifications:Certificates:{index}";
        return new Dictionary<string, string?>
        {
            [$"{prefix}:EncryptionCertificateId"] = id,
            [$"{prefix}:SourceType"] = "Path",
            [$"{prefix}:CertificateDiskPath"] = path,
        };
    }
}
