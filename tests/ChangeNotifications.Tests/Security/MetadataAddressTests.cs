using ChangeNotifications.Graph;
using ChangeNotifications.Security;

namespace ChangeNotifications.Tests.Security;

/// <summary>Which OpenID metadata validation tokens are checked against.</summary>
public sealed class MetadataAddressTests
{
    private static readonly GraphEndpoints Emulator = new(
        new Uri("https://127.0.0.1:40675/v1.0"), new Uri("https://127.0.0.1:40675/"), RichService.TenantId, RichService.AppId, () => new SocketsHttpHandler());

    [Fact]
    public void Emulator_mode_without_a_setting_uses_the_emulators_metadata()
    {
        var address = ValidationTokenValidator.MetadataAddressFor(new RichNotificationsOptions { EmulatorMode = true }, () => Emulator);

        Assert.Equal("https://127.0.0.1:40675/common/.well-known/openid-configuration", address);
    }

    [Fact]
    public void Live_mode_without_a_setting_uses_microsofts_metadata()
    {
        var address = ValidationTokenValidator.MetadataAddressFor(new RichNotificationsOptions(), () => throw new InvalidOperationException("not asked in Live mode"));

        Assert.Equal("https://login.microsoftonline.com/common/.well-known/openid-configuration", address);
    }

    [Fact]
    public void A_configured_address_wins()
    {
        var options = new RichNotificationsOptions { EmulatorMode = true, MetadataAddress = "https://sts.example.test/common/.well-known/openid-configuration" };

        Assert.Equal(options.MetadataAddress, ValidationTokenValidator.MetadataAddressFor(options, () => Emulator));
    }
}
