using Microsoft.Extensions.Logging;

namespace ChangeNotifications.Tests.Security;

/// <summary>Validation tokens are accepted only from the tenants the service is configured for (<c>Graph:TenantId</c>,
/// or <c>Graph:AllowedTenantIds</c>), even when they are well signed and name the item's own tenant.</summary>
public sealed class ValidationTokenTenantTests
{
    private const string OtherTenant = "11111111-2222-4333-8444-555555555555";

    [Fact]
    public async Task A_token_of_another_tenant_is_refused_and_its_batch_dead_lettered()
    {
        using var certificate = TestCertificates.Create();
        await using var rich = await RichService.StartAsync(TestCertificates.Base64Setting(0, "c1", certificate));
        var items = Enumerable.Range(0, 2)
            .Select(i => OfTenant(rich.ChatItem(GraphEncryption.Encrypt($"{{\"n\":{i}}}", TestCertificates.PublicOnly(certificate), "c1")), OtherTenant))
            .ToArray();
        var token = rich.Token(rich.GoodToken with { TenantId = OtherTenant });

        // Signed by the right keys, issued to this app by Graph, issuer and tid the item's tenant: only the tenant is wrong.
        await rich.PostAsync([token], items);
        await rich.DispatchAllAsync();

        Assert.Empty(rich.Handler.Handled);
        var dead = await rich.DeadLettersAsync();
        Assert.Equal(2, dead.Count);
        Assert.All(dead, d => Assert.Equal(
            $"Validation tokens rejected: tenant {OtherTenant} is not one this service is configured for (Graph:TenantId, Graph:AllowedTenantIds).",
            d.LastError));
        var warning = Assert.Single(rich.Logs, r => r.Id.Id == 6010);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Equal(OtherTenant, warning.GetStructuredStateValue("TenantId"));
        Assert.False(rich.LogsContain(token.Split('.')[1]));
    }

    [Fact]
    public async Task A_token_whose_tid_is_another_tenant_is_refused()
    {
        using var certificate = TestCertificates.Create();
        await using var rich = await RichService.StartAsync(TestCertificates.Base64Setting(0, "c1", certificate));
        var token = rich.Token(rich.GoodToken with { ExtraClaims = new Dictionary<string, object> { ["tid"] = OtherTenant } });

        await rich.PostAsync([token], rich.ChatItem(GraphEncryption.Encrypt("{}", TestCertificates.PublicOnly(certificate), "c1")));
        await rich.DispatchAllAsync();

        Assert.Empty(rich.Handler.Handled);
        Assert.Equal("Validation tokens rejected: token 1 of 1: 'tid' is not the notification's tenant.", Assert.Single(await rich.DeadLettersAsync()).LastError);
    }

    [Fact]
    public async Task Every_tenant_of_Graph_AllowedTenantIds_is_accepted()
    {
        using var certificate = TestCertificates.Create();
        var settings = TestCertificates.Base64Setting(0, "c1", certificate);
        settings["Graph:AllowedTenantIds:0"] = RichService.TenantId;
        settings["Graph:AllowedTenantIds:1"] = OtherTenant;
        await using var rich = await RichService.StartAsync(settings);

        await rich.PostAsync([rich.Token()], rich.ChatItem(GraphEncryption.Encrypt("{\"home\":1}", TestCertificates.PublicOnly(certificate), "c1")));
        await rich.PostAsync(
            [rich.Token(rich.GoodToken with { TenantId = OtherTenant })],
            OfTenant(rich.ChatItem(GraphEncryption.Encrypt("{\"other\":1}", TestCertificates.PublicOnly(certificate), "c1")), OtherTenant));
        await rich.DispatchAllAsync();

        Assert.Equal(["{\"home\":1}", "{\"other\":1}"], rich.Handler.Handled.Select(h => h.DecryptedContent).Order(StringComparer.Ordinal));
        Assert.Empty(await rich.DeadLettersAsync());
    }

    private static string OfTenant(string item, string tenantId) =>
        item.Replace($"\"tenantId\": \"{RichService.TenantId}\"", $"\"tenantId\": \"{tenantId}\"", StringComparison.Ordinal);
}
