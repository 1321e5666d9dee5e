using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ChangeNotifications.GraphEmulator.Tenant;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Serialization;
using Microsoft.Kiota.Serialization.Json;

namespace ChangeNotifications.Tests.Emulator;

/// <summary>Rich notifications: encryptedContent the Graph SDK decrypts, validation tokens that verify against the emulator's JWKS.</summary>
public sealed class RichNotificationTests : IAsyncLifetime
{
    private const string ChangeTrackingAppId = "0bf30f3b-4a52-48df-9a82-234910c4a086";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private static readonly string ChannelMessagesPath = $"teams/{SeedIds.TeamId}/channels/{SeedIds.ChannelId}/messages";

    private readonly X509Certificate2 _certificate = CreateCertificate();
    private EmulatorFixture _emulator = null!;
    private LoopbackReceiver _receiver = null!;

    static RichNotificationTests() => ApiClientBuilder.RegisterDefaultDeserializer<JsonParseNodeFactory>();

    public async Task InitializeAsync()
    {
        _emulator = await EmulatorFixture.StartAsync(o => o.Tenant = new ScriptedTenant());
        _receiver = await LoopbackReceiver.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        await _emulator.DisposeAsync();
        _certificate.Dispose();
    }

    [Fact]
    public async Task Encrypted_content_decrypts_with_the_graph_sdk()
    {
        var collection = await ReceiveRichNotificationAsync();

        var item = Assert.Single(collection.Value!);
        Assert.Equal("rich-cert-1", item.EncryptedContent!.EncryptionCertificateId);
        Assert.Equal(_certificate.Thumbprint, item.EncryptedContent.EncryptionCertificateThumbprint);
        var message = await item.EncryptedContent.DecryptAsync<ChatMessage>((id, thumbprint) =>
            Task.FromResult(id == "rich-cert-1" && thumbprint == _certificate.Thumbprint
                ? new X509Certificate2(_certificate)
                : throw new InvalidOperationException("unknown certificate")));

        Assert.Equal(item.ResourceData!.AdditionalData["id"]!.ToString(), message.Id);
        Assert.StartsWith("hello ", message.Body!.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tampered_data_fails_the_signature_check()
    {
        var collection = await ReceiveRichNotificationAsync();
        var content = Assert.Single(collection.Value!).EncryptedContent!;
        var data = Convert.FromBase64String(content.Data!);
        data[^1] ^= 0x01;
        content.Data = Convert.ToBase64String(data);

        await Assert.ThrowsAsync<InvalidDataException>(() => content.DecryptAsync((_, _) => Task.FromResult(new X509Certificate2(_certificate))));
    }

    [Fact]
    public async Task Validation_token_verifies_against_the_published_keys()
    {
        var collection = await ReceiveRichNotificationAsync();
        var token = Assert.Single(collection.ValidationTokens!);
        using var http = _emulator.CreateHttpClient();
        var metadata = new ConfigurationManager<OpenIdConnectConfiguration>(
            new Uri(_emulator.Server.AuthorityHost, "common/.well-known/openid-configuration").ToString(),
            new OpenIdConnectConfigurationRetriever(),
            new HttpDocumentRetriever(http));
        var configuration = await metadata.GetConfigurationAsync(CancellationToken.None);
        var parameters = new TokenValidationParameters
        {
            ValidIssuer = $"https://sts.windows.net/{_emulator.Server.TenantId}/",
            ValidAudience = _emulator.Server.ClientId,
            IssuerSigningKeys = configuration.SigningKeys,
        };

        var handler = new JsonWebTokenHandler();
        var result = await handler.ValidateTokenAsync(token, parameters);
        var wrongAudience = await handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = parameters.ValidIssuer,
            ValidAudience = Guid.NewGuid().ToString(),
            IssuerSigningKeys = configuration.SigningKeys,
        });

        Assert.True(result.IsValid, result.Exception?.Message);
        Assert.Equal(ChangeTrackingAppId, result.Claims["appid"]);
        Assert.Equal(ChangeTrackingAppId, result.Claims["azp"]);
        Assert.NotEmpty(configuration.SigningKeys);
        Assert.False(wrongAudience.IsValid);
    }

    private async Task<ChangeNotificationCollection> ReceiveRichNotificationAsync()
    {
        var subscription = new Subscription
        {
            ChangeType = "created",
            NotificationUrl = _receiver.Url.ToString(),
            LifecycleNotificationUrl = _receiver.UrlFor("/api/lifecycle").ToString(),
            Resource = ChannelMessagesPath,
            ExpirationDateTime = DateTimeOffset.UtcNow.AddHours(2),
            ClientState = "rich-state",
            IncludeResourceData = true,
            EncryptionCertificateId = "rich-cert-1",
        };
        subscription.AddPublicEncryptionCertificate(_certificate);
        await _emulator.Graph.Subscriptions.PostAsync(subscription);

        Assert.Equal(1, _emulator.Control.TriggerChange());
        await _receiver.WaitForNotificationsAsync(1, Wait);
        var body = Assert.Single(_receiver.Notifications);
        return (await KiotaJsonSerializer.DeserializeAsync(body.ToJsonString(), ChangeNotificationCollection.CreateFromDiscriminatorValue))!;
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=rich notifications test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), password: null);
    }
}
