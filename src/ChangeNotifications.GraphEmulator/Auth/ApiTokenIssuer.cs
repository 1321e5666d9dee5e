using System.Security.Cryptography;
using System.Text;
using ChangeNotifications.GraphEmulator.Hosting;
using ChangeNotifications.GraphEmulator.Rich;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ChangeNotifications.GraphEmulator.Auth;

/// <summary>
/// Access tokens for the service's app called as an API (client credentials of an <see cref="EmulatedApiClient"/>), as
/// Entra issues v2 app-only tokens: RS256, signed with the key the tenant's JWKS publishes (the one that signs
/// validation tokens), <c>iss</c> = the v2 metadata's issuer, <c>aud</c> = the API's client id, <c>azp</c> = the
/// caller, <c>roles</c> = its app roles, lifetime on the emulator's clock.
/// </summary>
internal sealed class ApiTokenIssuer(GraphEmulatorOptions options, ValidationTokenIssuer signing)
{
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    /// <summary>The issuer of the v2 OpenID metadata of <paramref name="tenant"/>, as Entra names it.</summary>
    public static string IssuerFor(string tenant) => $"https://login.microsoftonline.com/{tenant}/v2.0";

    /// <summary>Whether <paramref name="scope"/> asks for a token to the service's app (<c>api://{id}/.default</c> or <c>{id}/.default</c>).</summary>
    public bool IsApiScope(string scope) =>
        string.Equals(scope, $"api://{options.ClientId}/.default", StringComparison.OrdinalIgnoreCase)
        || string.Equals(scope, $"{options.ClientId}/.default", StringComparison.OrdinalIgnoreCase);

    public EmulatedApiClient? FindClient(string clientId) =>
        options.ApiClients.FirstOrDefault(c => string.Equals(c.ClientId, clientId, StringComparison.OrdinalIgnoreCase));

    public IssuedAccessToken Issue(EmulatedApiClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        var now = options.TimeProvider.GetUtcNow().UtcDateTime;
        var objectId = ObjectIdOf(client.ClientId);
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = IssuerFor(options.TenantId),
            Audience = options.ClientId,
            IssuedAt = now,
            NotBefore = now.AddMinutes(-5),
            Expires = now + options.AccessTokenLifetime,
            Claims = new Dictionary<string, object>
            {
                ["azp"] = client.ClientId,
                ["azpacr"] = "1",
                ["tid"] = options.TenantId,
                ["oid"] = objectId,
                ["sub"] = objectId,
                ["idtyp"] = "app",
                ["ver"] = "2.0",
                ["roles"] = client.Roles.ToArray(),
            },
            SigningCredentials = new SigningCredentials(signing.SigningKey, SecurityAlgorithms.RsaSha256),
        });
        return new IssuedAccessToken(token, options.AccessTokenLifetime);
    }

    /// <summary>A stable object id for the client's service principal (Entra's differs from the app id too).</summary>
    private static string ObjectIdOf(string clientId) =>
        new Guid(SHA256.HashData(Encoding.UTF8.GetBytes("service-principal:" + clientId)).AsSpan(0, 16)).ToString();
}
