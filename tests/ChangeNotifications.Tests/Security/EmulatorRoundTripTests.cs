using System.Net;
using System.Text.Json.Nodes;
using ChangeNotifications.GraphEmulator.Tenant;
using ChangeNotifications.Resources;
using ChangeNotifications.Security;
using ChangeNotifications.Subscriptions;
using ChangeNotifications.Tests.Emulator;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Graph.Models;

namespace ChangeNotifications.Tests.Security;

/// <summary>
/// The whole rich path against the Graph emulator: a subscription created through the real GraphServiceClient with
/// the service's certificate, the emulator's handshake and delivery over HTTP to the service on loopback, the
/// emulator's validation tokens checked against its OpenID metadata (HTTPS, pinned), decryption, the handler.
/// </summary>
public sealed class EmulatorRoundTripTests
{
    private const string ChatsResource = "chats/getAllMessages";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Chat_message_from_the_emulator_is_validated_decrypted_and_handled()
    {
        var handler = new RecordingHandler(ResourceType.ChatMessage);
        using var service = new ServiceFactory().WithSetting("Graph:Mode", "Emulator").WithHandler(handler);
        await using var emulator = await EmulatorFixture.StartAsync(o =>
        {
            o.TimeProvider = service.Time;
            o.Tenant = new ScriptedTenant();
        });
        service
            .WithSetting("RichNotifications:MetadataAddress", new Uri(emulator.Server.BaseAddress, "common/.well-known/openid-configuration").AbsoluteUri)
            .WithSetting("RichNotifications:AppIds:0", emulator.Server.ClientId)
            .WithServices(s => s.AddHttpClient(ValidationTokenValidator.MetadataClientName)
                .ConfigurePrimaryHttpMessageHandler(() => emulator.Server.CreateTrustingHandler()));
        service.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        service.StartServer();
        var address = new Uri(service.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());

        // What the subscription manager does for an IncludeResourceData item: the current certificate and its id.
        var certificate = service.Services.GetRequiredService<ISubscriptionEncryptionCertificateSource>().Current!;
        var subscription = new Subscription
        {
            ChangeType = "created",
            NotificationUrl = new Uri(address, "api/notifications").AbsoluteUri,
            LifecycleNotificationUrl = new Uri(address, "api/lifecycle").AbsoluteUri,
            Resource = ChatsResource,
            ExpirationDateTime = service.Time.GetUtcNow().AddMinutes(50),
            ClientState = "state-" + Guid.NewGuid().ToString("N"),
            IncludeResourceData = true,
            EncryptionCertificateId = certificate.Id,
        };
        subscription.AddPublicEncryptionCertificate(certificate.Certificate);
        var created = await emulator.Graph.Subscriptions.PostAsync(subscription);
        await service.Subscriptions.UpsertAsync(
            new SubscriptionRecord
            {
                Key = $"{ChatsResource}|created",
                Resource = ChatsResource,
                ChangeType = "created",
                ClientState = subscription.ClientState,
                GraphId = Guid.Parse(created!.Id!),
                ExpiresAt = created.ExpirationDateTime,
                IncludeResourceData = true,
                EncryptionCertificateId = certificate.Id,
            },
            default);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(1, emulator.Control.TriggerChange(Guid.Parse(created.Id!)));
        }

        await emulator.Control.WaitForCountersAsync(c => c.Delivered >= 3, Wait);
        while (await service.Dispatcher.RunOnceAsync(default) > 0)
        {
        }

        Assert.Empty(await service.Inbox.ListDeadLettersAsync(10, default));
        Assert.Equal(3, handler.Handled.Count);
        Assert.All(handler.Handled, context =>
        {
            var message = JsonNode.Parse(context.DecryptedContent!)!;
            Assert.Equal("#microsoft.graph.chatMessage", (string?)message["@odata.type"]);
            Assert.Equal($"hello {message["id"]}", (string?)message["body"]?["content"]);
            Assert.Equal(context.ResourceId, (string?)message["id"]);
        });
        Assert.Equal(SeedIds.TenantId, handler.Handled.First().TenantId?.ToString());
    }
}
