using System.Buffers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using ChangeNotifications.Subscriptions;

namespace ChangeNotifications.Receiving;

/// <summary>
/// Constant-time comparison of a subscription's clientState with the one an item carries: SHA-256 of both, compared
/// with <see cref="CryptographicOperations.FixedTimeEquals"/> (neither content nor length shows in the time taken).
/// The stored side's hash is kept per subscription record (records are immutable; the store hands out the same
/// instances), so an item costs one hash.
/// </summary>
public sealed class ClientStateCheck
{
    private readonly ConditionalWeakTable<SubscriptionRecord, byte[]> _expectedHashes = new();

    public bool Matches(SubscriptionRecord subscription, string? received)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        return HashMatches(_expectedHashes.GetValue(subscription, static s => Hash(s.ClientState)), received);
    }

    private static bool HashMatches(ReadOnlySpan<byte> expectedHash, string? received)
    {
        if (received is null)
        {
            return false;
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        Hash(received, hash);
        return CryptographicOperations.FixedTimeEquals(expectedHash, hash);
    }

    private static byte[] Hash(string text)
    {
        var hash = new byte[SHA256.HashSizeInBytes];
        Hash(text, hash);
        return hash;
    }

    private static void Hash(string text, Span<byte> hash)
    {
        var byteCount = Encoding.UTF8.GetByteCount(text);
        byte[]? rented = null;
        var bytes = byteCount <= 512 ? stackalloc byte[byteCount] : (rented = ArrayPool<byte>.Shared.Rent(byteCount));
        SHA256.HashData(bytes[..Encoding.UTF8.GetBytes(text, bytes)], hash);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
