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

namespace ChangeNotifications.Tests.Security;

/// <summary>
/// The subscription manager and this feature together, against the emulator: rich subscriptions are created with the
/// newest configured certificate (rotation) and, for Outlook, with a <c>$select</c>.
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
}
