using System.Security.Cryptography;
using ChangeNotifications.Dispatching;
using Microsoft.Graph;
using Microsoft.Graph.Models;

namespace ChangeNotifications.Security;

/// <summary>
/// Decrypts <c>encryptedContent</c> with the Graph SDK's <c>DecryptAsync</c> (RSA-OAEP-SHA1 key unwrap, HMAC-SHA256
/// check over the ciphertext, AES-256-CBC), the certificate picked by <c>encryptionCertificateId</c> and thumbprint.
/// Every failure is permanent (the same bytes never decrypt later) and its reason never carries the content.
/// </summary>
internal sealed class ResourceDataDecryptor(EncryptionCertificates certificates)
{
    public async Task<string> DecryptAsync(ChangeNotificationEncryptedContent content)
    {
        ArgumentNullException.ThrowIfNull(content);
        try
        {
            return await content.DecryptAsync((id, thumbprint) => Task.FromResult(certificates.CopyFor(id, thumbprint)));
        }
        catch (UnknownEncryptionCertificateException ex)
        {
            throw new PermanentNotificationException(ex.Message);
        }
        catch (InvalidDataException)
        {
            throw new PermanentNotificationException($"dataSignature does not match the content (certificate '{content.EncryptionCertificateId}'): tampered or corrupted.");
        }
        catch (CryptographicException)
        {
            throw new PermanentNotificationException($"dataKey could not be decrypted with certificate '{content.EncryptionCertificateId}' (wrong key or corrupted).");
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or ApplicationException)
        {
            throw new PermanentNotificationException($"encryptedContent could not be decrypted ({ex.GetType().Name}, certificate '{content.EncryptionCertificateId}').");
        }
    }
}
