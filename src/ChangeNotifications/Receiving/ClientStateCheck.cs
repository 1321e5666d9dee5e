using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using ChangeNotifications.Subscriptions;

namespace ChangeNotifications.Receiving;

/// <summary>
/// Constant-time comparison of a subscription's clientState with the one an item carries: both (UTF-8) are written
/// into buffers of one fixed width, padded with zeros, and compared whole together with their lengths, eight bytes at a
/// time with the differences OR-ed together and no early exit, so neither the content nor the length of the secret
/// shows in the time taken. A received value wider than the buffer cannot match and is refused before it is copied.
/// The loop is hand-written rather than <c>CryptographicOperations.FixedTimeEquals</c>, which works a byte at a time
/// unoptimised, or a digest of each value: intake checks every item of every batch, and BENCHMARKS.md measures both.
/// </summary>
internal sealed class ClientStateCheck
{
    /// <summary>The width of the compared buffers, in bytes: Graph takes a clientState of at most 128 characters, each
    /// at most 4 UTF-8 bytes. A stored value wider than that is compared at its own width (rounded up to 8).</summary>
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

        var bytes = width == Width ? stackalloc byte[Width] : new byte[width];
        bytes.Clear();
        var length = Encoding.UTF8.GetBytes(received, bytes);
        // Both halves are evaluated whatever the first gives (& rather than &&).
        return Same(expected.Bytes, bytes) & length == expected.Length;
    }

    /// <summary>Whether two spans of one length, a multiple of 8, hold the same bytes, in a time that depends on their
    /// length only.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool Same(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        var a = MemoryMarshal.Cast<byte, ulong>(left);
        var b = MemoryMarshal.Cast<byte, ulong>(right);
        ulong difference = 0;
        for (var i = 0; i < a.Length; i++)
        {
            difference |= a[i] ^ b[i];
        }

        return difference == 0;
    }

    /// <summary>A stored clientState's UTF-8 bytes, zero-padded to the compared width, and its length.</summary>
    private sealed record Padded(byte[] Bytes, int Length)
    {
        public static Padded Of(string value)
        {
            var length = Encoding.UTF8.GetByteCount(value);
            var bytes = new byte[Math.Max(Width, (length + 7) & ~7)];
            Encoding.UTF8.GetBytes(value, bytes);
            return new Padded(bytes, length);
        }
    }
}
