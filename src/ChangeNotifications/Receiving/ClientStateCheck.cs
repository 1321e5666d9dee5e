using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using ChangeNotifications.Subscriptions;

namespace ChangeNotifications.Receiving;

/// <summary>
/// Constant-time comparison of a subscription's clientState with the one an item carries: both (UTF-8) are written
/// into buffers of one fixed width, padded with zeros, and compared with
/// <see cref="CryptographicOperations.FixedTimeEquals"/> together with their lengths, so neither the content nor the
/// length of the secret shows in the time taken. A received value wider than the buffer cannot match and is refused
/// before it is copied, so a caller cannot make the check arbitrarily slow.
/// </summary>
internal sealed class ClientStateCheck
{
    /// <summary>The width of the compared buffers, in bytes: Graph takes a clientState of at most 128 characters, each
    /// at most 4 UTF-8 bytes. A stored value wider than that is compared at its own width.</summary>
    public const int Width = 512;

    // The stored secret's padded bytes, made once per clientState string rather than for every item of every request.
    private readonly ConditionalWeakTable<string, Padded> _expected = new();

    public bool Matches(SubscriptionRecord subscription, string? received)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        if (received is null)
        {
            return false;
        }

        var expected = _expected.GetValue(subscription.ClientState, static value => Padded.Of(value));
        var width = expected.Bytes.Length;
        if (Encoding.UTF8.GetMaxByteCount(received.Length) > width && Encoding.UTF8.GetByteCount(received) > width)
        {
            return false;
        }

        Span<byte> bytes = width <= Width ? stackalloc byte[Width] : new byte[width];
        bytes.Clear();
        var length = Encoding.UTF8.GetBytes(received, bytes);
        var sameBytes = CryptographicOperations.FixedTimeEquals(expected.Bytes, bytes[..width]);
        return sameBytes & length == expected.Length;
    }

    private sealed record Padded(byte[] Bytes, int Length)
    {
        public static Padded Of(string value)
        {
            var length = Encoding.UTF8.GetByteCount(value);
            var bytes = new byte[Math.Max(Width, length)];
            Encoding.UTF8.GetBytes(value, bytes);
            return new Padded(bytes, length);
        }
    }
}
