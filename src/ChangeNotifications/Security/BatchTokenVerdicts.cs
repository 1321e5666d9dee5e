using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Security;

/// <summary>
/// Verdicts on validation tokens, kept per batch (same tokens, tenant and time of receipt): every item of a batch
/// carries the same tokens, so a batch of N items is checked once, even when its items are dispatched in parallel.
/// A check that could not run (metadata unavailable) is not kept.
/// </summary>
internal sealed class BatchTokenVerdicts(IOptions<RichNotificationsOptions> options, TimeProvider time)
{
    private const int PruneAbove = 1024;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public int Count => _entries.Count;

    public async Task<TokenVerdict> GetOrCheckAsync(string tokens, Guid tenantId, DateTimeOffset receivedAt, Func<Task<TokenVerdict>> check)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(check);
        var now = time.GetUtcNow();
        if (_entries.Count > PruneAbove)
        {
            Prune(now);
        }

        var key = KeyFor(tokens, tenantId, receivedAt);
        var expiresAt = now + options.Value.VerdictCacheDuration;
        var entry = _entries.AddOrUpdate(
            key,
            _ => new Entry(new Lazy<Task<TokenVerdict>>(check), expiresAt),
            (_, existing) => existing.ExpiresAt <= now ? new Entry(new Lazy<Task<TokenVerdict>>(check), expiresAt) : existing);
        try
        {
            return await entry.Verdict.Value;
        }
        catch
        {
            _entries.TryRemove(KeyValuePair.Create(key, entry));
            throw;
        }
    }

    /// <summary>A digest, not the tokens themselves, is what stays in memory.</summary>
    private static string KeyFor(string tokens, Guid tenantId, DateTimeOffset receivedAt) =>
        $"{tenantId:N}|{receivedAt.ToUnixTimeMilliseconds()}|{Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(tokens)))}";

    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, entry) in _entries)
        {
            if (entry.ExpiresAt <= now)
            {
                _entries.TryRemove(KeyValuePair.Create(key, entry));
            }
        }
    }

    private sealed record Entry(Lazy<Task<TokenVerdict>> Verdict, DateTimeOffset ExpiresAt);
}
