using System.Security.Cryptography.X509Certificates;
using Microsoft.Graph.Models;

namespace ChangeNotifications.Subscriptions;

/// <summary>
/// The certificate sent on create/renew of subscriptions with <c>includeResourceData</c> (rich notifications).
/// Implemented by the rich-notifications feature (certificates from configuration, rotation); when none is
/// registered, a rich subscription fails with that reason and the others carry on.
/// </summary>
internal interface ISubscriptionEncryptionCertificateSource
{
    /// <summary>The newest certificate (public part is what Graph gets) and its id (≤128 chars), or null.</summary>
    SubscriptionEncryptionCertificate? Current { get; }
}

internal sealed record SubscriptionEncryptionCertificate(string Id, X509Certificate2 Certificate)
{
    /// <summary>Sets <paramref name="subscription"/>'s <c>encryptionCertificate</c> (the public part) and <c>encryptionCertificateId</c>.</summary>
    public void ApplyTo(Subscription subscription)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        subscription.AddPublicEncryptionCertificate(Certificate);
        subscription.EncryptionCertificateId = Id;
    }
}
