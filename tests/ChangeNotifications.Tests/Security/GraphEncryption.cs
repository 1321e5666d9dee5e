using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace ChangeNotifications.Tests.Security;

/// <summary>
/// Encrypts resource data exactly as Graph does: a fresh 32-byte key wrapped with RSA-OAEP-SHA1,
/// AES-256-CBC with PKCS7 and IV = the key's first 16 bytes, HMAC-SHA256 (keyed with it) over the ciphertext. Test only.
/// </summary>
internal static class GraphEncryption
{
    public static EncryptedContent Encrypt(string plaintext, X509Certificate2 certificate, string certificateId)
    {
        var key = RandomNumberGenerator.GetBytes(32);
        using var rsa = certificate.GetRSAPublicKey()!;
        var dataKey = rsa.Encrypt(key, RSAEncryptionPadding.OaepSHA1);
        using var aes = Aes.Create();
        aes.Key = key;
        var data = aes.EncryptCbc(Encoding.UTF8.GetBytes(plaintext), key.AsSpan(0, 16), PaddingMode.PKCS7);
        var signature = HMACSHA256.HashData(key, data);
        return new EncryptedContent(
            Convert.ToBase64String(data),
            Convert.ToBase64String(signature),
            Convert.ToBase64String(dataKey),
            certificateId,
            certificate.Thumbprint);
    }

    public sealed record EncryptedContent(string Data, string DataSignature, string DataKey, string EncryptionCertificateId, string EncryptionCertificateThumbprint)
    {
        public string ToJson() => JsonSerializer.Serialize(new
        {
            data = Data,
            dataSignature = DataSignature,
            dataKey = DataKey,
            encryptionCertificateId = EncryptionCertificateId,
            encryptionCertificateThumbprint = EncryptionCertificateThumbprint,
        });

        /// <summary>Same content, another (valid base64) signature: what an attacker changing the data would leave.</summary>
        public EncryptedContent WithTamperedSignature()
        {
            var bytes = Convert.FromBase64String(DataSignature);
            bytes[0] ^= 0x5A;
            return this with { DataSignature = Convert.ToBase64String(bytes) };
        }
    }
}
