using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace ChangeNotifications.GraphEmulator.Rich;

/// <summary>
/// Graph's <c>encryptedContent</c>: a fresh AES-256 key per item wrapped with the subscriber's RSA
/// public key (OAEP-SHA1) as <c>dataKey</c>; the resource JSON encrypted with AES-CBC / PKCS7, IV = the key's first
/// 16 bytes, as <c>data</c>; HMAC-SHA256 of the ciphertext keyed with the AES key as <c>dataSignature</c>.
/// </summary>
internal static class ContentEncryptor
{
    public static JsonObject Encrypt(string resourceJson, string base64Certificate, string certificateId)
    {
        using var certificate = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(base64Certificate));
        using var rsa = certificate.GetRSAPublicKey() ?? throw new CryptographicException("The encryption certificate has no RSA public key.");
        var key = RandomNumberGenerator.GetBytes(32);
        try
        {
            using var aes = Aes.Create();
            aes.Key = key;
            var data = aes.EncryptCbc(Encoding.UTF8.GetBytes(resourceJson), key.AsSpan(0, 16), PaddingMode.PKCS7);
            return new JsonObject
            {
                ["data"] = Convert.ToBase64String(data),
                ["dataSignature"] = Convert.ToBase64String(HMACSHA256.HashData(key, data)),
                ["dataKey"] = Convert.ToBase64String(rsa.Encrypt(key, RSAEncryptionPadding.OaepSHA1)),
                ["encryptionCertificateId"] = certificateId,
                ["encryptionCertificateThumbprint"] = certificate.Thumbprint,
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }
}
