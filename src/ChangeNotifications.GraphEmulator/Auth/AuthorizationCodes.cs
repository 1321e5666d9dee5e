using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using ChangeNotifications.GraphEmulator.Hosting;
using ChangeNotifications.GraphEmulator.Rich;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ChangeNotifications.GraphEmulator.Auth;

/// <summary>
/// The authorization-code grant as Entra runs it for a web app that signs people in: a code issued on the sign-in form
/// for one user, client, redirect URI and PKCE challenge, redeemed once within <see cref="CodeLifetime"/> for an
/// id_token signed with the tenant's published key (the one of <see cref="ApiTokenIssuer"/>).
/// </summary>
internal sealed class AuthorizationCodes(GraphEmulatorOptions options, ValidationTokenIssuer signing)
{
    /// <summary>Entra's codes last about 10 minutes.</summary>
    public static readonly TimeSpan CodeLifetime = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<string, PendingCode> _codes = new(StringComparer.Ordinal);
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    public EmulatedSignInUser? FindUser(string userName, string password) =>
        options.SignInUsers.FirstOrDefault(u =>
            string.Equals(u.UserName, userName, StringComparison.OrdinalIgnoreCase)
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(u.Password), Encoding.UTF8.GetBytes(password)));

    public string Issue(EmulatedSignInUser user, SignInRequest request)
    {
        var code = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        _codes[code] = new PendingCode(user, request, options.TimeProvider.GetUtcNow() + CodeLifetime);
        return code;
    }

    /// <summary>
    /// The tokens for <paramref name="code"/>, or the reason it is refused (Entra's <c>invalid_grant</c> cases): unknown,
    /// used or expired, issued to another client or redirect URI, or a verifier that does not hash to the challenge.
    /// A code is spent by its first redemption, right or wrong, as Entra does.
    /// </summary>
    public (SignInTokens? Tokens, string? Refusal) Redeem(string code, string clientId, string redirectUri, string codeVerifier)
    {
        if (!_codes.TryRemove(code, out var pending) || pending.ExpiresAt < options.TimeProvider.GetUtcNow())
        {
            return (null, "The provided authorization code or refresh token has expired or was already redeemed.");
        }

        if (!string.Equals(pending.Request.ClientId, clientId, StringComparison.OrdinalIgnoreCase)
            || !string.Equals(pending.Request.RedirectUri, redirectUri, StringComparison.Ordinal))
        {
            return (null, "The code was issued to another client or redirect URI.");
        }

        var challenge = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(codeVerifier)));
        if (codeVerifier.Length == 0 || !CryptographicOperations.FixedTimeEquals(
                Encoding.ASCII.GetBytes(challenge), Encoding.ASCII.GetBytes(pending.Request.CodeChallenge)))
        {
            return (null, "The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.");
        }

        return (new SignInTokens(IdToken(pending.User, pending.Request), Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32)), options.AccessTokenLifetime), null);
    }

    private string IdToken(EmulatedSignInUser user, SignInRequest request)
    {
        var now = options.TimeProvider.GetUtcNow().UtcDateTime;
        var claims = new Dictionary<string, object>
        {
            ["oid"] = user.ObjectId,
            ["sub"] = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes($"{user.ObjectId}:{request.ClientId}"))),
            ["tid"] = options.TenantId,
            ["name"] = user.DisplayName,
            ["preferred_username"] = user.UserName,
            ["ver"] = "2.0",
            ["roles"] = user.Roles.ToArray(),
            ["groups"] = user.Groups.ToArray(),
        };
        if (!string.IsNullOrEmpty(request.Nonce))
        {
            claims["nonce"] = request.Nonce;
        }

        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = ApiTokenIssuer.IssuerFor(options.TenantId),
            Audience = request.ClientId,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + options.AccessTokenLifetime,
            Claims = claims,
            SigningCredentials = new SigningCredentials(signing.SigningKey, SecurityAlgorithms.RsaSha256),
        });
    }

    private sealed record PendingCode(EmulatedSignInUser User, SignInRequest Request, DateTimeOffset ExpiresAt);
}

/// <summary>What the authorization request asked for, kept with the code it leads to.</summary>
internal sealed record SignInRequest(string ClientId, string RedirectUri, string CodeChallenge, string? Nonce);

/// <summary>The token endpoint's answer to a redeemed code: an id_token and an opaque access token.</summary>
internal sealed record SignInTokens(string IdToken, string AccessToken, TimeSpan Lifetime);
