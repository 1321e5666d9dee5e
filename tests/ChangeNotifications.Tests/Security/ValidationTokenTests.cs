using ChangeNotifications.Security;
using Microsoft.Extensions.Logging;

namespace ChangeNotifications.Tests.Security;

/// <summary>Validation tokens checked at dispatch against a loopback OpenID metadata server.</summary>
public sealed class ValidationTokenTests
{
    private const string OtherTenant = "11111111-2222-4333-8444-555555555555";
    private const string OtherApp = "99999999-8888-4777-8666-555555555555";

    public static TheoryData<string, string> BadTokens => new()
    {
        { "wrong audience", "audience is not this app" },
        { "wrong tenant", "issuer is not the notification's tenant" },
        { "wrong tenant v2", "issuer is not the notification's tenant" },
        { "expired", "expired (or not yet valid)" },
        { "not yet valid", "expired (or not yet valid)" },
        { "forged signature", "signature does not verify" },
        { "wrong appid (v1)", "'appid' is not Microsoft Graph Change Tracking" },
        { "wrong azp (v2)", "'azp' is not Microsoft Graph Change Tracking" },
        { "azp only on a v1 token", "'appid' is not Microsoft Graph Change Tracking" },
    };

    private static string BadToken(RichService rich, string kind) => kind switch
    {
        "wrong audience" => rich.Token(rich.GoodToken with { Audience = OtherApp }),
        "wrong tenant" => rich.Token(rich.GoodToken with { Issuer = $"https://sts.windows.net/{OtherTenant}/" }),
        "wrong tenant v2" => rich.Token(rich.GoodToken with { Version = "2.0", Issuer = $"https://login.microsoftonline.com/{OtherTenant}/v2.0" }),
        "expired" => rich.Token(rich.GoodToken with { NotBefore = rich.Now.AddHours(-2), Expires = rich.Now.AddHours(-1) }),
        "not yet valid" => rich.Token(rich.GoodToken with { NotBefore = rich.Now.AddHours(1), Expires = rich.Now.AddHours(2) }),
        "forged signature" => ValidationTokens.Create(rich.GoodToken, ValidationTokens.ForgedKey(rich.Metadata.KeyId)),
        "wrong appid (v1)" => rich.Token(rich.GoodToken with { Publisher = OtherApp }),
        "wrong azp (v2)" => rich.Token(rich.GoodToken with { Version = "2.0", Publisher = OtherApp }),
        // A v1 token is judged by appid: an azp claim of the right value does not stand in for it.
        "azp only on a v1 token" => rich.Token(rich.GoodToken with
        {
            Publisher = OtherApp,
            ExtraClaims = new Dictionary<string, object> { ["azp"] = RichNotificationsOptions.GraphChangeTrackingAppId },
        }),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task Batch_with_a_bad_token_is_dead_lettered_as_a_whole(string kind, string reason)
    {
        using var certificate = TestCertificates.Create();
        await using var rich = await RichService.StartAsync(TestCertificates.Base64Setting(0, "c1", certificate));
        var bad = BadToken(rich, kind);
        var items = Enumerable.Range(0, 3)
            .Select(i => rich.ChatItem(GraphEncryption.Encrypt($"{{\"n\":{i}}}", TestCertificates.PublicOnly(certificate), "c1")))
            .ToArray();

        // One good token and one bad: every token must pass.
        await rich.PostAsync([rich.Token(), bad], items);
        await rich.DispatchAllAsync();

        Assert.Empty(rich.Handler.Handled);
        var dead = await rich.DeadLettersAsync();
        Assert.Equal(3, dead.Count);
        Assert.All(dead, d => Assert.StartsWith($"Validation tokens rejected: token 2 of 2: {reason}", d.LastError, StringComparison.Ordinal));
        var warning = Assert.Single(rich.Logs, r => r.Id.Id == 6010);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Equal(RichService.TenantId, warning.GetStructuredStateValue("TenantId"));
        Assert.Equal("2", warning.GetStructuredStateValue("TokenCount"));
        Assert.Contains(reason, warning.GetStructuredStateValue("Reason"), StringComparison.Ordinal);
        Assert.False(rich.LogsContain(bad));
        Assert.False(rich.LogsContain(bad.Split('.')[1]));
    }

    [Theory]
    [InlineData("1.0")]
    [InlineData("2.0")]
    public async Task Good_tokens_of_either_version_pass(string version)
    {
        using var certificate = TestCertificates.Create();
        await using var rich = await RichService.StartAsync(TestCertificates.Base64Setting(0, "c1", certificate));

        await rich.PostAsync(
            [rich.Token(rich.GoodToken with { Version = version }), rich.Token(rich.GoodToken with { Version = version })],
            rich.ChatItem(GraphEncryption.Encrypt("{\"ok\":true}", TestCertificates.PublicOnly(certificate), "c1")));
        await rich.DispatchAllAsync();

        Assert.Equal("{\"ok\":true}", Assert.Single(rich.Handler.Handled).DecryptedContent);
        Assert.DoesNotContain(rich.Logs, r => r.Id.Id == 6010);
    }

    [Fact]
    public async Task Metadata_is_fetched_once_and_each_batch_is_checked_once()
    {
        using var certificate = TestCertificates.Create();
        await using var rich = await RichService.StartAsync(TestCertificates.Base64Setting(0, "c1", certificate));
        for (var batch = 0; batch < 4; batch++)
        {
            var items = Enumerable.Range(0, 10)
                .Select(i => rich.ChatItem(GraphEncryption.Encrypt($"{{\"n\":{i}}}", TestCertificates.PublicOnly(certificate), "c1")))
                .ToArray();
            await rich.PostAsync([rich.Token()], items);
            rich.Service.Time.Advance(TimeSpan.FromSeconds(1));
        }

        await rich.DispatchAllAsync();

        Assert.Equal(40, rich.Handler.Handled.Count);
        Assert.Equal(1, rich.Metadata.ConfigurationRequests);
        Assert.Equal(1, rich.Metadata.KeyRequests);
        Assert.Equal(4, GetService<BatchTokenVerdicts>(rich).Count);
    }

    [Fact]
    public async Task Retry_after_the_tokens_expired_still_passes_because_lifetime_is_judged_at_receipt()
    {
        using var certificate = TestCertificates.Create();
        await using var rich = await RichService.StartAsync(TestCertificates.Base64Setting(0, "c1", certificate));
        rich.Handler.FailuresLeft = 1;
        await rich.PostAsync([rich.Token()], rich.ChatItem(GraphEncryption.Encrypt("{}", TestCertificates.PublicOnly(certificate), "c1")));
        await rich.DispatchAllAsync();
        Assert.Empty(rich.Handler.Handled);

        // Past the token's expiry and past the verdict cache: the check runs again, as of when Graph delivered the batch.
        rich.Service.Time.Advance(TimeSpan.FromHours(3));
        await rich.DispatchAllAsync();

        Assert.Single(rich.Handler.Handled);
        Assert.Empty(await rich.DeadLettersAsync());
    }

    [Fact]
    public async Task Unreachable_metadata_retries_the_item_instead_of_dropping_it()
    {
        using var certificate = TestCertificates.Create();
        await using var rich = await RichService.StartAsync(TestCertificates.Base64Setting(0, "c1", certificate)
            .Append(new("RichNotifications:MetadataAddress", "http://127.0.0.1:9/common/.well-known/openid-configuration"))
            .ToDictionary());

        await rich.PostAsync([rich.Token()], rich.ChatItem(GraphEncryption.Encrypt("{}", TestCertificates.PublicOnly(certificate), "c1")));
        await rich.DispatchAllAsync();

        var counts = await rich.CountsAsync();
        Assert.Equal(0, counts.Dead);
        Assert.Equal(1, counts.Ready);
        Assert.Empty(rich.Handler.Handled);
        Assert.Equal(0, GetService<BatchTokenVerdicts>(rich).Count);
    }

    private static T GetService<T>(RichService rich) where T : notnull =>
        (T)rich.Service.Services.GetService(typeof(T))!;
}
