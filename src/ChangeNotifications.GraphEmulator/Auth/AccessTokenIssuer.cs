using System.Collections.Concurrent;
using System.Security.Cryptography;
using ChangeNotifications.GraphEmulator.Hosting;

namespace ChangeNotifications.GraphEmulator.Auth;

/// <summary>Issues the opaque bearer tokens of the token endpoint and checks them on every Graph request.</summary>
internal sealed class AccessTokenIssuer(GraphEmulatorOptions options)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _expiries = new(StringComparer.Ordinal);

    public IssuedAccessToken Issue()
    {
        var token = "emu." + Base64Url(RandomNumberGenerator.GetBytes(32));
        var expiresAt = options.TimeProvider.GetUtcNow() + options.AccessTokenLifetime;
        _expiries[token] = expiresAt;
        return new IssuedAccessToken(token, options.AccessTokenLifetime);
    }

    public AccessTokenCheck Check(string? authorizationHeader)
    {
        const string scheme = "Bearer ";
        if (string.IsNullOrWhiteSpace(authorizationHeader)
            || !authorizationHeader.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
            || authorizationHeader.Length == scheme.Length)
        {
            return AccessTokenCheck.Missing;
        }

        var token = authorizationHeader[scheme.Length..].Trim();
        if (!_expiries.TryGetValue(token, out var expiresAt))
        {
            return AccessTokenCheck.Invalid;
        }

        return options.TimeProvider.GetUtcNow() < expiresAt ? AccessTokenCheck.Valid : AccessTokenCheck.Expired;
    }

    /// <summary>Makes every token issued so far expired (a fault: clients keep their cached tokens and get 401).</summary>
    public int ExpireAll()
    {
        var expired = options.TimeProvider.GetUtcNow().AddSeconds(-1);
        var count = 0;
        foreach (var token in _expiries.Keys)
        {
            _expiries[token] = expired;
            count++;
        }

        return count;
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

internal sealed record IssuedAccessToken(string Token, TimeSpan Lifetime);

internal enum AccessTokenCheck
{
    Valid,
    Missing,
    Invalid,
    Expired,
}
