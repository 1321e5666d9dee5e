using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using ChangeNotifications.Subscriptions;

namespace ChangeNotifications.Receiving;

/// <summary>
/// Constant-time comparison of a subscription's clientState with the one an item carries: both as UTF-8, zero-padded
/// to one fixed width, compared whole (eight bytes at a time, the differences OR-ed together, no early exit) together
/// with their lengths, so neither content nor length shows in the time taken. The width is <see cref="Width"/> bytes
/// (Graph takes a clientState of at most 128 characters, at most 512 bytes), or the stored clientState's length if that
/// is longer; a received one longer than the width cannot match and is refused at once. The stored side's padded
/// bytes are kept per subscription record (records are immutable; the store hands out the same instances).
/// Not SHA-256 of both and CryptographicOperations.FixedTimeEquals, as before: through OpenSSL the hash cost about
/// 2 µs of an acknowledgement's CPU, and FixedTimeEquals, compiled without optimization on purpose, about 6 ns a byte.
/// </summary>
public sealed class ClientStateCheck
{
    /// <summary>The padded width in bytes: 128 characters of up to 4 UTF-8 bytes each.</summary>
    public const int Width = 512;

    private readonly ConditionalWeakTable<SubscriptionRecord, Expected> _expected = new();

    public bool Matches(SubscriptionRecord subscription, string? received)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        return received is not null && _expected.GetValue(subscription, static s => new Expected(s.ClientState)).Matches(received);
    }

    /// <summary>A stored clientState, padded to the width it is compared at.</summary>
    private sealed class Expected
    {
        private readonly byte[] _padded;
        private readonly int _length;

        public Expected(string clientState)
        {
            _length = Encoding.UTF8.GetByteCount(clientState);
            _padded = new byte[Math.Max(Width, (_length + 7) & ~7)];
            Encoding.UTF8.GetBytes(clientState, _padded);
        }

        public bool Matches(string received)
        {
            if (Encoding.UTF8.GetMaxByteCount(received.Length) > _padded.Length && Encoding.UTF8.GetByteCount(received) > _padded.Length)
            {
                return false;
            }

            var padded = _padded.Length == Width ? stackalloc byte[Width] : new byte[_padded.Length];
            var length = Encoding.UTF8.GetBytes(received, padded);
            // Both halves are evaluated whatever the first gives (& rather than &&).
            return Same(_padded, padded) & length == _length;
        }

        /// <summary>Whether two spans of one length, a multiple of 8, hold the same bytes, in a time that depends on
        /// their length only.</summary>
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
    }
}
