using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using ChangeNotifications.GraphEmulator.Auth;
using Microsoft.IdentityModel.Tokens;

namespace ChangeNotifications.GraphEmulator.Rich;

/// <summary>
/// <c>/{tenant|common}/.well-known/openid-configuration</c> (and <c>/v2.0/…</c>) and the JWKS at
/// <c>/{tenant|common}/discovery/keys</c>: where validators find the key that signs validation tokens and the API
/// access tokens of <see cref="ApiTokenIssuer"/>.
/// </summary>
internal static class OpenIdEndpoints
{
    public static IEndpointRouteBuilder MapOpenIdEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/{tenant}/.well-known/openid-configuration", (string tenant, HttpRequest request) => Configuration(tenant, request, "discovery/keys", v2: false));
        routes.MapGet("/{tenant}/v2.0/.well-known/openid-configuration", (string tenant, HttpRequest request) => Configuration(tenant, request, "discovery/v2.0/keys", v2: true));
        routes.MapGet("/{tenant}/discovery/keys", (ValidationTokenIssuer issuer) => Keys(issuer));
        routes.MapGet("/{tenant}/discovery/v2.0/keys", (ValidationTokenIssuer issuer) => Keys(issuer));
        return routes;
    }

    private static IResult Configuration(string tenant, HttpRequest request, string keysPath, bool v2)
    {
        var host = $"{request.Scheme}://{request.Host}";
        var issuerTenant = tenant is "common" or "organizations" ? "{tenantid}" : tenant;
        return Results.Json(new JsonObject
        {
            ["issuer"] = v2 ? ApiTokenIssuer.IssuerFor(issuerTenant) : $"https://sts.windows.net/{issuerTenant}/",
            ["jwks_uri"] = $"{host}/{tenant}/{keysPath}",
            ["token_endpoint"] = $"{host}/{tenant}/oauth2/v2.0/token",
            ["authorization_endpoint"] = $"{host}/{tenant}/oauth2/v2.0/authorize",
            ["response_types_supported"] = new JsonArray("code", "id_token", "token id_token"),
            ["subject_types_supported"] = new JsonArray("pairwise"),
            ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
            ["tenant_region_scope"] = "EU",
        });
    }

    private static IResult Keys(ValidationTokenIssuer issuer)
    {
        var certificate = issuer.SigningCertificate;
        using var rsa = certificate.GetRSAPublicKey()!;
        var parameters = rsa.ExportParameters(includePrivateParameters: false);
        return Results.Json(new JsonObject
        {
            ["keys"] = new JsonArray(new JsonObject
            {
                ["kty"] = "RSA",
                ["use"] = "sig",
                ["kid"] = issuer.KeyId,
                ["x5t"] = issuer.KeyId,
                ["n"] = Base64UrlEncoder.Encode(parameters.Modulus),
                ["e"] = Base64UrlEncoder.Encode(parameters.Exponent),
                ["x5c"] = new JsonArray(Convert.ToBase64String(certificate.RawData)),
            }),
        });
    }
}
