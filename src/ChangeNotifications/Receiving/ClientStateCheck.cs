using System.Buffers;
using System.Runtime.CompilerServices;
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

    // The stored secret's digest, computed once per clientState string rather than for every item of every request.
    private readonly ConditionalWeakTable<string, byte[]> _digests = new();

    // One digest context per thread: SHA256.HashData makes and frees an OpenSSL context per call, which costs more
    // than hashing a short value; intake checks every item of a batch.
    [ThreadStatic]
    private static IncrementalHash? t_sha256;

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

        Span<byte> right = stackalloc byte[SHA256.HashSizeInBytes];
        Hash(received, right);
        return CryptographicOperations.FixedTimeEquals(ExpectedDigest(expected), right);
    }

    private byte[] ExpectedDigest(string expected) =>
        _digests.GetValue(expected, static value =>
        {
            var digest = new byte[SHA256.HashSizeInBytes];
            Hash(value, digest);
            return digest;
        });

    private static void Hash(string value, Span<byte> destination)
    {
        var sha256 = t_sha256 ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var length = Encoding.UTF8.GetByteCount(value);
        var rented = length <= 256 ? null : ArrayPool<byte>.Shared.Rent(length);
        Span<byte> bytes = rented is null ? stackalloc byte[256] : rented;
        var written = Encoding.UTF8.GetBytes(value, bytes);
        sha256.AppendData(bytes[..written]);
        sha256.GetHashAndReset(destination);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
