using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace ChangeNotifications.Tests.Security;

/// <summary>
/// A loopback OpenID Connect metadata server (port 0) publishing one test RSA key, as Entra does for validation
/// tokens: <c>/common/.well-known/openid-configuration</c> and its JWKS. Counts the requests it serves.
/// </summary>
internal sealed class MetadataServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _configurationRequests;
    private int _keyRequests;

    private MetadataServer(WebApplication app, RSA key, string keyId)
    {
        _app = app;
        Key = key;
        KeyId = keyId;
    }

    public RSA Key { get; }

    public string KeyId { get; }

    public Uri BaseAddress { get; private set; } = null!;

    public string MetadataAddress => new Uri(BaseAddress, "common/.well-known/openid-configuration").AbsoluteUri;

    public int ConfigurationRequests => Volatile.Read(ref _configurationRequests);

    public int KeyRequests => Volatile.Read(ref _keyRequests);

    public SecurityKey SigningKey => new RsaSecurityKey(Key) { KeyId = KeyId };

    public static async Task<MetadataServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new MetadataServer(app, TestCertificates.Key("metadata signing key"), "test-key-" + Guid.NewGuid().ToString("N")[..8]);
        app.MapGet("/common/.well-known/openid-configuration", () =>
        {
            Interlocked.Increment(ref server._configurationRequests);
            return Results.Text(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["issuer"] = "https://sts.windows.net/{tenantid}/",
                ["jwks_uri"] = new Uri(server.BaseAddress, "common/discovery/keys").AbsoluteUri,
                ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
            }), "application/json");
        });
        app.MapGet("/common/discovery/keys", () =>
        {
            Interlocked.Increment(ref server._keyRequests);
            var parameters = server.Key.ExportParameters(false);
            return Results.Text(JsonSerializer.Serialize(new
            {
                keys = new[]
                {
                    new { kty = "RSA", use = "sig", kid = server.KeyId, n = Base64UrlEncoder.Encode(parameters.Modulus), e = Base64UrlEncoder.Encode(parameters.Exponent) },
                },
            }), "application/json");
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        server.BaseAddress = new Uri(address.TrimEnd('/') + "/");
        return server;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
