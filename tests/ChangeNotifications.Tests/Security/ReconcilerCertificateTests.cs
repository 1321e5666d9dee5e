using System.Security.Cryptography.X509Certificates;
using ChangeNotifications.GraphEmulator.Tenant;
using ChangeNotifications.Security;
using ChangeNotifications.Storage;
using ChangeNotifications.Subscriptions;
using ChangeNotifications.Tests.Emulator;
using ChangeNotifications.Tests.Infrastructure;
using ChangeNotifications.Tests.Subscriptions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Graph.Models;

namespace ChangeNotifications.Tests.Security;

/// <summary>
/// The subscription manager and this feature together, against the emulator: rich subscriptions are created with the
/// newest configured certificate and, for Outlook, with a <c>$select</c>; an existing one moves to a newer certificate
/// at its next renewal (rotation).
/// </summary>
public sealed class ReconcilerCertificateTests
{
    [Fact]
    public async Task Rich_subscriptions_are_created_with_the_newest_certificate_and_outlook_gets_a_select()
    {
        await using var emulator = await EmulatorFixture.StartAsync(o => o.Tenant = new ScriptedTenant());
        await using var receiver = await LoopbackReceiver.StartAsync();
        using var database = new TempSqlite();
        var now = DateTimeOffset.UtcNow;
        using var old = TestCertificates.Create("old", notBefore: now.AddDays(-30), notAfter: now.AddDays(30));
        using var current = TestCertificates.Create("new", notBefore: now.AddDays(-1), notAfter: now.AddDays(365));
        var settings = new Dictionary<string, string?>
        {
            ["Graph:Mode"] = "Emulator",
            ["Storage:SqlitePath"] = database.FilePath,
            ["Subscriptions:NotificationUrl"] = receiver.Url.AbsoluteUri,
            ["Subscriptions:Items:0:Resource"] = "chats/getAllMessages",
            ["Subscriptions:Items:0:ChangeType"] = "created",
            ["Subscriptions:Items:0:IncludeResourceData"] = "true",
            ["Subscriptions:Items:1:Resource"] = $"/users/{SeedIds.UserId}/messages",
            ["Subscriptions:Items:1:ChangeType"] = "created",
            ["Subscriptions:Items:1:IncludeResourceData"] = "true",
        };
        foreach (var (key, value) in TestCertificates.Base64Setting(0, "cert-old", old).Concat(TestCertificates.Base64Setting(1, "cert-new", current)))
        {
            settings[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        await using var provider = new ServiceCollection()
            .AddLogging()
            .AddSingleton<IHostEnvironment>(new TestEnvironment(database.Directory))
            .AddSingleton(emulator.Graph)
            .AddStorage(configuration)
            .AddRichNotifications(configuration)
            .AddSubscriptionManagement(configuration)
            .BuildServiceProvider();
        var certificates = provider.GetRequiredService<EncryptionCertificates>();
        certificates.Use(await provider.GetRequiredService<EncryptionCertificateLoader>().LoadAsync());

        await provider.GetRequiredService<SubscriptionReconciler>().ReconcileOnceAsync(default);

        var created = emulator.Control.Subscriptions;
        Assert.Equal(2, created.Count);
        Assert.All(created, s =>
        {
            Assert.True(s.IncludeResourceData);
            Assert.Equal("cert-new", s.EncryptionCertificateId);
            Assert.Equal(Convert.ToBase64String(TestCertificates.PublicOnly(current).RawData), s.EncryptionCertificate);
        });
        var mail = Assert.Single(created, s => s.Resource.Contains("messages", StringComparison.OrdinalIgnoreCase) && s.Resource.StartsWith("/users", StringComparison.Ordinal));
        Assert.Contains("?$select=", mail.Resource, StringComparison.Ordinal);
        var stored = await provider.GetRequiredService<ISubscriptionStore>().ListAsync(default);
        Assert.All(stored, r => Assert.Equal("cert-new", r.EncryptionCertificateId));
    }

    [Fact]
    public async Task A_rich_subscription_is_patched_to_a_newer_certificate_at_its_next_renewal_and_only_then()
    {
        using var old = OldCertificate();
        using var newer = NewCertificate();
        var certificates = new SwitchableCertificates(new SubscriptionEncryptionCertificate("cert-old", old));
        await using var harness = await StartWithChatsAsync(certificates);

        await harness.TickAsync();
        var created = Assert.Single(harness.Emulator.Control.Subscriptions);
        Assert.Equal("cert-old", created.EncryptionCertificateId);

        // The operator adds a newer certificate: nothing is sent to Graph for it before the renewal is due.
        certificates.Current = new SubscriptionEncryptionCertificate("cert-new", newer);
        await harness.AdvanceAndTickAsync(TimeSpan.FromMinutes(1));
        Assert.Equal("cert-old", Assert.Single(harness.Emulator.Control.Subscriptions).EncryptionCertificateId);
        Assert.Empty(harness.LogsWithId(SubscriptionLog.RenewedId));

        await UntilNextRenewalAsync(harness);

        var renewed = Assert.Single(harness.Emulator.Control.Subscriptions);
        Assert.Equal(created.Id, renewed.Id); // PATCHed in place, not recreated
        Assert.Equal("cert-new", renewed.EncryptionCertificateId);
        Assert.Equal(Convert.ToBase64String(TestCertificates.PublicOnly(newer).RawData), renewed.EncryptionCertificate);
        Assert.True(renewed.ExpirationDateTime > created.ExpirationDateTime);
        Assert.Equal("cert-new", (await harness.RecordAsync(Chats)).EncryptionCertificateId);
        var rotated = Assert.Single(harness.LogsWithId(SubscriptionLog.CertificateRotatedId));
        Assert.Equal("cert-new", rotated.Property("CertificateId"));
        Assert.Equal("cert-old", rotated.Property("PreviousCertificateId"));
        Assert.Equal(created.Id.ToString(), rotated.Property("GraphId"));

        // The next renewal has nothing to rotate.
        var renewals = harness.LogsWithId(SubscriptionLog.RenewedId).Count;
        await UntilNextRenewalAsync(harness);

        Assert.Equal(renewals + 1, harness.LogsWithId(SubscriptionLog.RenewedId).Count);
        Assert.Single(harness.LogsWithId(SubscriptionLog.CertificateRotatedId));
        Assert.Equal("cert-new", Assert.Single(harness.Emulator.Control.Subscriptions).EncryptionCertificateId);
    }

    [Fact]
    public async Task A_certificate_graph_refuses_on_renewal_leaves_the_subscription_renewed_on_the_old_one()
    {
        using var old = OldCertificate();
        using var weak = TestCertificates.Create("weak", keySize: 1024, notBefore: SubscriptionHarness.Start.AddDays(-1), notAfter: SubscriptionHarness.Start.AddDays(365));
        var certificates = new SwitchableCertificates(new SubscriptionEncryptionCertificate("cert-old", old));
        await using var harness = await StartWithChatsAsync(certificates);
        await harness.TickAsync();
        var created = Assert.Single(harness.Emulator.Control.Subscriptions);

        certificates.Current = new SubscriptionEncryptionCertificate("cert-weak", weak); // Graph wants 2048 bits at least
        await UntilNextRenewalAsync(harness);

        var renewed = Assert.Single(harness.Emulator.Control.Subscriptions);
        Assert.Equal(created.Id, renewed.Id);
        Assert.True(renewed.ExpirationDateTime > created.ExpirationDateTime);
        Assert.Equal("cert-old", renewed.EncryptionCertificateId);
        Assert.Equal("cert-old", (await harness.RecordAsync(Chats)).EncryptionCertificateId);
        var refused = Assert.Single(harness.LogsWithId(SubscriptionLog.CertificateRefusedId));
        Assert.Equal(LogLevel.Warning, refused.Level);
        Assert.Equal("cert-weak", refused.Property("CertificateId"));
        Assert.StartsWith("400", refused.Property("Reason"), StringComparison.Ordinal);
        Assert.Empty(harness.LogsWithId(SubscriptionLog.CertificateRotatedId));
        Assert.Empty(harness.LogsWithId(SubscriptionLog.OperationFailedId));
    }

    [Fact]
    public async Task An_adopted_rich_subscription_keeps_the_certificate_graph_names_until_its_renewal_rotates_it()
    {
        using var old = OldCertificate();
        using var newer = NewCertificate();
        var certificates = new SwitchableCertificates(new SubscriptionEncryptionCertificate("cert-new", newer));
        await using var harness = await StartWithChatsAsync(certificates);

        // A create Graph completed with the old certificate while we never heard back: the store holds only the clientState.
        var pending = await harness.StorePendingAsync(Chats, "created");
        var orphan = new Subscription
        {
            Resource = Chats,
            ChangeType = "created",
            NotificationUrl = harness.NotificationUrl,
            LifecycleNotificationUrl = harness.Receiver.UrlFor("/api/lifecycle").ToString(),
            ExpirationDateTime = harness.Time.GetUtcNow().AddDays(2),
            ClientState = pending.ClientState,
            IncludeResourceData = true,
        };
        new SubscriptionEncryptionCertificate("cert-old", old).ApplyTo(orphan);
        var inGraph = (await harness.Emulator.Graph.Subscriptions.PostAsync(orphan))!;

        await harness.TickAsync();
        Assert.Equal(inGraph.Id, Assert.Single(harness.LogsWithId(SubscriptionLog.AdoptedId)).Property("GraphId"));
        Assert.Equal("cert-old", (await harness.RecordAsync(Chats)).EncryptionCertificateId);

        await UntilNextRenewalAsync(harness);

        Assert.Equal("cert-new", Assert.Single(harness.Emulator.Control.Subscriptions).EncryptionCertificateId);
        Assert.Equal("cert-new", (await harness.RecordAsync(Chats)).EncryptionCertificateId);
        Assert.Equal("cert-old", Assert.Single(harness.LogsWithId(SubscriptionLog.CertificateRotatedId)).Property("PreviousCertificateId"));
    }

    private const string Chats = "chats/getAllMessages";

    private static X509Certificate2 OldCertificate() =>
        TestCertificates.Create("old", notBefore: SubscriptionHarness.Start.AddDays(-30), notAfter: SubscriptionHarness.Start.AddDays(30));

    private static X509Certificate2 NewCertificate() =>
        TestCertificates.Create("new", notBefore: SubscriptionHarness.Start.AddDays(-1), notAfter: SubscriptionHarness.Start.AddDays(365));

    /// <summary>The subscription manager with one rich subscription (Teams chat messages) and <paramref name="certificates"/>.</summary>
    private static Task<SubscriptionHarness> StartWithChatsAsync(ISubscriptionEncryptionCertificateSource certificates) =>
        SubscriptionHarness.StartAsync([(Chats, "created")], s => s["Subscriptions:Items:0:IncludeResourceData"] = "true", certificates);

    /// <summary>Moves the clocks 30 minutes at a time until one more renewal is logged (at most 100 hours).</summary>
    private static async Task UntilNextRenewalAsync(SubscriptionHarness harness)
    {
        var renewals = harness.LogsWithId(SubscriptionLog.RenewedId).Count;
        for (var step = 0; step < 200 && harness.LogsWithId(SubscriptionLog.RenewedId).Count == renewals; step++)
        {
            await harness.AdvanceAndTickAsync(TimeSpan.FromMinutes(30));
        }
    }

    /// <summary>A certificate source whose newest certificate the test changes (the service's own is set at start).</summary>
    private sealed class SwitchableCertificates(SubscriptionEncryptionCertificate initial) : ISubscriptionEncryptionCertificateSource
    {
        public SubscriptionEncryptionCertificate? Current { get; set; } = initial;
    }
}
