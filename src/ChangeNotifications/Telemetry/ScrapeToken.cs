using System.Security.Cryptography;
using System.Text;
using Microsoft.Net.Http.Headers;

namespace ChangeNotifications.Telemetry;

/// <summary>
/// The check in front of the Prometheus scrape endpoint: <c>Authorization: Bearer {Metrics:ScrapeToken}</c> (what
/// Prometheus sends for <c>authorization: credentials: …</c>), else 401. Both sides are hashed before the
/// constant-time compare, so neither the token's content nor its length leaks through timing.
/// </summary>
internal sealed class ScrapeToken(string token)
{
    private const string Scheme = "Bearer ";

    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public bool Allows(string? authorization)
    {
        if (authorization is null || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(authorization.AsSpan(Scheme.Length).Trim().ToString()));
        return CryptographicOperations.FixedTimeEquals(presented, _expected);
    }

    /// <summary>Middleware for the scrape endpoint's branch: 401 with a bearer challenge unless the token matches.</summary>
    public RequestDelegate Guard(RequestDelegate next) => context =>
    {
        if (Allows(context.Request.Headers.Authorization))
        {
            return next(context);
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers[HeaderNames.WWWAuthenticate] = "Bearer";
        return Task.CompletedTask;
    };
}
