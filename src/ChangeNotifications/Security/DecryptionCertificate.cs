using System.Security.Cryptography.X509Certificates;

namespace ChangeNotifications.Security;

/// <summary>A loaded certificate that can decrypt rich notifications, and the setting it came from (for messages).</summary>
internal sealed record DecryptionCertificate(string Id, X509Certificate2 Certificate, string Setting);

/// <summary>Graph named a certificate that is not configured (or whose thumbprint differs): the item cannot be decrypted.</summary>
internal sealed class UnknownEncryptionCertificateException(string message) : Exception(message);
