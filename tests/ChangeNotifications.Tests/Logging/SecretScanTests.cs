using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Azure.Core;
using ChangeNotifications.Dispatching;
using ChangeNotifications.Graph.Emulator;
using ChangeNotifications.GraphEmulator.Tenant;
using ChangeNotifications.Handlers;
using ChangeNotifications.Security;
using ChangeNotifications.Subscriptions;
using ChangeNotifications.Tests.Emulator;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Graph.Models;
using Serilog.Core;
using Xunit.Abstractions;

namespace ChangeNotifications.Tests.Logging;

/// <summary>
/// The emulator flow with rich notifications, run for a while on the fake clock, and then every line written at any
/// level in any category (the service's Serilog output, its other providers, the emulator's own lines) is searched
/// for each secret of the run: clientStates, access tokens, the client secret, the decryption certificate's private
/// key, each notification's decrypted symmetric key and its decrypted content.
/// </summary>
public sealed class SecretScanTests(ITestOutputHelper output)
{
    private const string ChatsResource = "chats/getAllMessages";
    private const int Changes = 12;

    [Fact]
    public async Task No_secret_of_a_rich_notification_run_appears_in_any_log_line()
    {
        var serilog = new SerilogLines();
        var tap = new ConcurrentQueue<ChangeNotificationContext>();
        using var service = new ServiceFactory()
            .WithSetting("Graph:Mode", "Emulator")
            .WithSetting("Logging:PersonalData", "false")
            .WithSetting("Serilog:MinimumLevel:Default", "Verbose")
            .WithSetting("Serilog:MinimumLevel:Override:Microsoft", "Verbose")
            .WithSetting("Serilog:MinimumLevel:Override:System", "Verbose")
            .WithSetting("Serilog:MinimumLevel:Override:System.Net.Http.HttpClient", "Verbose")
            .WithServices(s => s
                .AddSingleton<ILogEventSink>(serilog)
                .AddSingleton<IChangeNotificationHandler>(sp => new Tap(ActivatorUtilities.CreateInstance<ChatMessageHandler>(sp), tap)));
        var emulatorLogs = new FakeLogCollector();
        using var emulatorLoggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(emulatorLogs)));
        await using var emulator = await EmulatorFixture.StartAsync(o =>
        {
            o.TimeProvider = service.Time;
            o.Tenant = new ScriptedTenant();
            o.LoggerFactory = emulatorLoggers;
        });
        var tokens = new ConcurrentQueue<string>();
        using var graph = emulator.CreateGraphClient(new RecordingCredential(EmulatorGraphClient.CreateCredential(emulator.Server), tokens));
        service
            .WithSetting("RichNotifications:MetadataAddress", new Uri(emulator.Server.BaseAddress, "common/.well-known/openid-configuration").AbsoluteUri)
            .WithSetting("RichNotifications:AppIds:0", emulator.Server.ClientId)
            .WithServices(s => s.AddHttpClient(ValidationTokenValidator.MetadataClientName)
                .ConfigurePrimaryHttpMessageHandler(() => emulator.Server.CreateTrustingHandler()));
        service.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        service.StartServer();
        var address = new Uri(service.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        var certificate = service.Services.GetRequiredService<ISubscriptionEncryptionCertificateSource>().Current!;
        var clientState = "state-" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
        var subscription = new Subscription
        {
            ChangeType = "created",
            NotificationUrl = new Uri(address, "api/notifications").AbsoluteUri,
            LifecycleNotificationUrl = new Uri(address, "api/lifecycle").AbsoluteUri,
            Resource = ChatsResource,
            ExpirationDateTime = service.Time.GetUtcNow().AddMinutes(50),
            ClientState = clientState,
            IncludeResourceData = true,
            EncryptionCertificateId = certificate.Id,
        };
        subscription.AddPublicEncryptionCertificate(certificate.Certificate);
        var created = await graph.Subscriptions.PostAsync(subscription);
        await service.Subscriptions.UpsertAsync(
            new SubscriptionRecord
            {
                Key = $"{ChatsResource}|created", Resource = ChatsResource, ChangeType = "created", ClientState = clientState,
                GraphId = Guid.Parse(created!.Id!), ExpiresAt = created.ExpirationDateTime, IncludeResourceData = true,
                EncryptionCertificateId = certificate.Id,
            },
            default);

        // A while of traffic: a change a minute on the fake clock, the dispatcher run after each delivery; a wrong
        // clientState too, which intake drops and logs.
        for (var i = 0; i < Changes; i++)
        {
            Assert.Equal(1, emulator.Control.TriggerChange(Guid.Parse(created.Id!)));
            await emulator.Control.WaitForCountersAsync(c => c.Delivered >= i + 1, TimeSpan.FromSeconds(15));
            while (await service.Dispatcher.RunOnceAsync(default) > 0)
            {
            }

            service.Time.Advance(TimeSpan.FromMinutes(1));
        }

        const string wrongState = "wrong-state-9f1c2d3e4b5a";
        using var forged = new StringContent(
            $$"""{"value":[{"subscriptionId":"{{created.Id}}","clientState":"{{wrongState}}","changeType":"created","resource":"chats('x')/messages('y')","tenantId":"{{SeedIds.TenantId}}"}]}""",
            System.Text.Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.Accepted, (await service.CreateClient().PostAsync("/api/notifications", forged)).StatusCode);

        Assert.Equal(Changes, tap.Count);
        using var key = certificate.Certificate.GetRSAPrivateKey()!;
        var secrets = new Dictionary<string, string>
        {
            ["clientState"] = clientState,
            ["wrong clientState"] = wrongState,
            ["client secret"] = emulator.Server.ClientSecret,
            ["private key (PKCS#8, base64)"] = Convert.ToBase64String(key.ExportPkcs8PrivateKey()),
            ["private exponent (base64)"] = Convert.ToBase64String(key.ExportParameters(includePrivateParameters: true).D!),
        };
        foreach (var (token, i) in tokens.Distinct().Select((t, i) => (t, i)))
        {
            secrets[$"access token {i}"] = token;
        }

        foreach (var (context, i) in tap.Select((c, i) => (c, i)))
        {
            var dataKey = key.Decrypt(Convert.FromBase64String(context.Notification.EncryptedContent!.DataKey!), RSAEncryptionPadding.OaepSHA1);
            secrets[$"symmetric key {i}"] = Convert.ToBase64String(dataKey);
            secrets[$"decrypted content {i}"] = context.DecryptedContent!;
            secrets[$"message text {i}"] = (string)JsonNode.Parse(context.DecryptedContent!)!["body"]!["content"]!;
        }

        var lines = serilog.Snapshot().Select(l => l.Text + string.Join(" ", l.Event.Properties.Values))
            .Concat(service.Logs.GetSnapshot().Select(Describe))
            .Concat(emulatorLogs.GetSnapshot().Select(Describe))
            .ToList();
        var hits = secrets.Where(s => lines.Any(l => l.Contains(s.Value, StringComparison.Ordinal))).Select(s => s.Key).ToList();
        output.WriteLine($"lines scanned: {lines.Count} (Serilog {serilog.Snapshot().Count}, providers {service.Logs.GetSnapshot().Count}, emulator {emulatorLogs.GetSnapshot().Count}); secrets: {secrets.Count}; hits: {hits.Count}");
        Assert.True(lines.Count > 100, $"too few lines to mean anything: {lines.Count}");
        Assert.Contains(serilog.Snapshot(), l => l.Text.Contains("ChatMessageChanged", StringComparison.Ordinal));
        Assert.Empty(hits);
    }

    private static string Describe(FakeLogRecord record) =>
        $"{record.Category} {record.Message} {string.Join(" ", record.StructuredState?.Select(p => p.Value) ?? [])} {record.Exception}";

    /// <summary>The real chat handler, with the contexts it was given kept for the test.</summary>
    private sealed class Tap(IChangeNotificationHandler inner, ConcurrentQueue<ChangeNotificationContext> seen) : IChangeNotificationHandler
    {
        public ChangeNotifications.Resources.ResourceType ResourceType => inner.ResourceType;

        public Task HandleAsync(ChangeNotificationContext context, CancellationToken cancellationToken)
        {
            seen.Enqueue(context);
            return inner.HandleAsync(context, cancellationToken);
        }

        public Task ResyncAsync(ResyncContext context, CancellationToken cancellationToken) => inner.ResyncAsync(context, cancellationToken);
    }

    /// <summary>Keeps every access token the emulator issues to the test's Graph client.</summary>
    private sealed class RecordingCredential(TokenCredential inner, ConcurrentQueue<string> tokens) : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            var token = inner.GetToken(requestContext, cancellationToken);
            tokens.Enqueue(token.Token);
            return token;
        }

        public override async ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            var token = await inner.GetTokenAsync(requestContext, cancellationToken);
            tokens.Enqueue(token.Token);
            return token;
        }
    }
}
