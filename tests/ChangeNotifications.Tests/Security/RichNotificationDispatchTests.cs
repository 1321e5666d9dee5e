using System.Text.Json;
using ChangeNotifications.Security;
using ChangeNotifications.Subscriptions;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChangeNotifications.Tests.Security;

/// <summary>Rich notifications through the real intake, inbox and dispatcher: decryption, rotation, tampering.</summary>
public sealed class RichNotificationDispatchTests
{
    private static string ChatMessageJson(string text) =>
        """{"id":"1700000000000","messageType":"message","body":{"contentType":"text","content":""" + JsonSerializer.Serialize(text)
        + """},"from":{"user":{"id":"5b0c9a6d-1e2f-4a3b-8c4d-9e0f1a2b3c4d","displayName":"Adele"}}}""";

    [Fact]
    public async Task Encrypted_chat_message_is_decrypted_and_handed_to_the_handler()
    {
        using var certificate = TestCertificates.Create("current");
        await using var rich = await RichService.StartAsync(TestCertificates.Base64Setting(0, "cert-2026-11", certificate));
        var plaintext = ChatMessageJson("secret lunch plans " + Guid.NewGuid());

        await rich.PostAsync([rich.Token()], rich.ChatItem(GraphEncryption.Encrypt(plaintext, TestCertificates.PublicOnly(certificate), "cert-2026-11"), "1700000000000"));
        await rich.DispatchAllAsync();

        var handled = Assert.Single(rich.Handler.Handled);
        Assert.Equal(plaintext, handled.DecryptedContent);
        Assert.Equal("1700000000000", handled.ResourceId);
        Assert.Equal(1, (await rich.CountsAsync()).Done);
        Assert.False(rich.LogsContain("secret lunch plans"));
    }

    [Fact]
    public async Task Rotation_new_certificate_is_current_and_content_for_the_old_one_still_decrypts()
    {
        var now = ServiceFactory.Start;
        using var old = TestCertificates.Create("old", notBefore: now.AddDays(-30), notAfter: now.AddDays(30));
        using var current = TestCertificates.Create("new", notBefore: now.AddDays(-1), notAfter: now.AddDays(365));
        var settings = TestCertificates.Base64Setting(0, "cert-new", current)
            .Concat(TestCertificates.PathSetting(1, "cert-old", old, Path.GetTempPath()))
            .ToDictionary();
        await using var rich = await RichService.StartAsync(settings);

        var source = rich.Service.Services.GetRequiredService<ISubscriptionEncryptionCertificateSource>();
        Assert.Equal("cert-new", source.Current?.Id);
        Assert.Equal(current.Thumbprint, source.Current?.Certificate.Thumbprint);

        var forOld = ChatMessageJson("sent before rotation");
        var forNew = ChatMessageJson("sent after rotation");
        await rich.PostAsync(
            [rich.Token()],
            rich.ChatItem(GraphEncryption.Encrypt(forOld, TestCertificates.PublicOnly(old), "cert-old")),
            rich.ChatItem(GraphEncryption.Encrypt(forNew, TestCertificates.PublicOnly(current), "cert-new")));
        await rich.DispatchAllAsync();

        Assert.Equal(new[] { forNew, forOld }.Order(), rich.Handler.Handled.Select(h => h.DecryptedContent!).Order());
        Assert.Equal(2, (await rich.CountsAsync()).Done);
    }

    [Fact]
    public async Task The_same_certificate_decrypts_many_items_in_a_row()
    {
        // The Graph SDK disposes the certificate it is given: handing out the shared instance breaks the second item.
        using var certificate = TestCertificates.Create();
        await using var rich = await RichService.StartAsync(TestCertificates.Base64Setting(0, "c1", certificate));
        var items = Enumerable.Range(0, 5)
            .Select(i => rich.ChatItem(GraphEncryption.Encrypt(ChatMessageJson($"message {i}"), TestCertificates.PublicOnly(certificate), "c1")))
            .ToArray();

        await rich.PostAsync([rich.Token()], items);
        await rich.DispatchAllAsync();
        await rich.PostAsync([rich.Token()], rich.ChatItem(GraphEncryption.Encrypt(ChatMessageJson("later"), TestCertificates.PublicOnly(certificate), "c1")));
        await rich.DispatchAllAsync();

        Assert.Equal(6, rich.Handler.Handled.Count);
        Assert.All(rich.Handler.Handled, h => Assert.StartsWith("{\"id\"", h.DecryptedContent, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Tampered_data_signature_is_dead_lettered_and_the_content_is_never_logged()
    {
        using var certificate = TestCertificates.Create();
        await using var rich = await RichService.StartAsync(TestCertificates.Base64Setting(0, "c1", certificate));
        var marker = "tampered-" + Guid.NewGuid();
        var tampered = GraphEncryption.Encrypt(ChatMessageJson(marker), TestCertificates.PublicOnly(certificate), "c1").WithTamperedSignature();

        await rich.PostAsync([rich.Token()], rich.ChatItem(tampered));
        await rich.DispatchAllAsync();

        Assert.Empty(rich.Handler.Handled);
        var dead = Assert.Single(await rich.DeadLettersAsync());
        Assert.Contains("dataSignature", dead.LastError, StringComparison.Ordinal);
        Assert.Equal(1, dead.Attempts);
        var warning = Assert.Single(rich.Logs, r => r.Id.Id == 6012);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Equal(rich.Subscription.GraphId.ToString(), warning.GetStructuredStateValue("SubscriptionId"));
        Assert.False(rich.LogsContain(marker));
        Assert.False(rich.LogsContain(tampered.Data));
    }

    [Fact]
    public async Task One_tampered_item_is_dead_lettered_while_the_rest_of_its_batch_is_handled()
    {
        using var certificate = TestCertificates.Create();
        await using var rich = await RichService.StartAsync(TestCertificates.Base64Setting(0, "c1", certificate));
        var publicOnly = TestCertificates.PublicOnly(certificate);

        await rich.PostAsync(
            [rich.Token()],
            rich.ChatItem(GraphEncryption.Encrypt(ChatMessageJson("first"), publicOnly, "c1")),
            rich.ChatItem(GraphEncryption.Encrypt(ChatMessageJson("second"), publicOnly, "c1").WithTamperedSignature()),
            rich.ChatItem(GraphEncryption.Encrypt(ChatMessageJson("third"), publicOnly, "c1")));
        await rich.DispatchAllAsync();

        Assert.Equal(2, rich.Handler.Handled.Count);
        Assert.Single(await rich.DeadLettersAsync());
        Assert.Equal(2, (await rich.CountsAsync()).Done);
    }

    [Fact]
    public async Task Unknown_certificate_id_or_wrong_thumbprint_is_dead_lettered()
    {
        using var configured = TestCertificates.Create("configured");
        using var other = TestCertificates.Create("other");
        await using var rich = await RichService.StartAsync(TestCertificates.Base64Setting(0, "c1", configured));
        var wrongThumbprint = GraphEncryption.Encrypt("{}", TestCertificates.PublicOnly(configured), "c1") with { EncryptionCertificateThumbprint = other.Thumbprint };

        await rich.PostAsync(
            [rich.Token()],
            rich.ChatItem(GraphEncryption.Encrypt("{}", TestCertificates.PublicOnly(other), "not-configured")),
            rich.ChatItem(wrongThumbprint),
            rich.ChatItem(GraphEncryption.Encrypt("{}", TestCertificates.PublicOnly(other), "c1") with { EncryptionCertificateThumbprint = configured.Thumbprint }));
        await rich.DispatchAllAsync();

        Assert.Empty(rich.Handler.Handled);
        var reasons = (await rich.DeadLettersAsync()).Select(d => d.LastError!).ToList();
        Assert.Equal(3, reasons.Count);
        Assert.Contains(reasons, r => r.Contains("unknown certificate id 'not-configured'", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("thumbprint", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("dataKey could not be decrypted", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Encrypted_content_without_validation_tokens_is_dead_lettered()
    {
        using var certificate = TestCertificates.Create();
        await using var rich = await RichService.StartAsync(TestCertificates.Base64Setting(0, "c1", certificate));

        await rich.PostAsync(null, rich.ChatItem(GraphEncryption.Encrypt("{}", TestCertificates.PublicOnly(certificate), "c1")));
        await rich.PostAsync([], rich.ChatItem(GraphEncryption.Encrypt("{}", TestCertificates.PublicOnly(certificate), "c1")));
        await rich.DispatchAllAsync();

        Assert.Empty(rich.Handler.Handled);
        Assert.Equal(2, (await rich.DeadLettersAsync()).Count);
        Assert.Equal(2, rich.Logs.Count(r => r.Id.Id == 6011));
        Assert.Equal(0, rich.Metadata.ConfigurationRequests);
    }

    [Fact]
    public async Task Item_without_tokens_or_content_is_handled_without_any_check()
    {
        await using var rich = await RichService.StartAsync();

        await rich.PostAsync(null, rich.ChatItem(null));
        await rich.DispatchAllAsync();

        var handled = Assert.Single(rich.Handler.Handled);
        Assert.Null(handled.DecryptedContent);
        Assert.Equal(0, rich.Metadata.ConfigurationRequests);
    }

    [Fact]
    public async Task Certificate_source_is_what_the_subscription_manager_gets()
    {
        using var certificate = TestCertificates.Create();
        await using var rich = await RichService.StartAsync(TestCertificates.Base64Setting(0, "c1", certificate));

        var sources = rich.Service.Services.GetServices<ISubscriptionEncryptionCertificateSource>().ToList();

        var source = Assert.Single(sources);
        Assert.IsType<EncryptionCertificates>(source);
        Assert.Equal("c1", source.Current?.Id);
    }
}
