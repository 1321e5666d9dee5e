using System.Security.Cryptography;
using System.Text;
using ChangeNotifications.Subscriptions;

namespace ChangeNotifications.Receiving;

/// <summary>
/// Constant-time comparison of a subscription's clientState with the one an item carries: the SHA-256 digests of both
/// (UTF-8) are compared with <see cref="CryptographicOperations.FixedTimeEquals"/>, so neither the content nor the
/// length of the secret shows in the time taken. A received value longer than <see cref="Width"/> bytes (and than the
/// stored one) cannot match and is refused before it is hashed, so a caller cannot make the check arbitrarily slow.
/// </summary>
internal sealed class ClientStateCheck
{
    /// <summary>The longest received value that is hashed, in bytes: Graph takes a clientState of at most 128
    /// characters, each at most 4 UTF-8 bytes.</summary>
    public const int Width = 512;

    public bool Matches(SubscriptionRecord subscription, string? received)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        if (received is null)
        {
            return false;
        }

        var expected = subscription.ClientState;
        var limit = Math.Max(Width, Encoding.UTF8.GetByteCount(expected));
        if (Encoding.UTF8.GetMaxByteCount(received.Length) > limit && Encoding.UTF8.GetByteCount(received) > limit)
        {
            return false;
        }

        Span<byte> left = stackalloc byte[SHA256.HashSizeInBytes];
        Span<byte> right = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(expected), left);
        SHA256.HashData(Encoding.UTF8.GetBytes(received), right);
        return CryptographicOperations.FixedTimeEquals(left, right);
    }
}
