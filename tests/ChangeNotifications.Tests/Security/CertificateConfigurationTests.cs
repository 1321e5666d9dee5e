using ChangeNotifications.Graph.Emulator;
using ChangeNotifications.Security;
using ChangeNotifications.Subscriptions;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Tests.Security;

/// <summary>Certificates and settings that cannot work stop start-up with a message naming the setting.</summary>
public sealed class CertificateConfigurationTests
{
    private static ServiceFactory Service(IReadOnlyDictionary<string, string?> settings, string mode = "Live", string? databasePath = null)
    {
        var service = new ServiceFactory(databasePath)
            .WithSetting("Graph:Mode", mode)
            .WithSetting("RichNotifications:AppIds:0", RichService.AppId);
        if (mode == "Live")
        {
            service.WithSetting("Graph:TenantId", RichService.TenantId)
                .WithSetting("Graph:ClientId", RichService.AppId)
                .WithSetting("Graph:ClientSecret", "test-secret")
                .WithSetting("Subscriptions:NotificationUrl", "https://receiver.example.com/api/notifications");
        }

        foreach (var (key, value) in settings)
        {
            service.WithSetting(key, value);
        }

        return service;
    }

    private static string StartupError(ServiceFactory service)
    {
        var error = Assert.ThrowsAny<Exception>(() => service.Server);
        var validation = Flatten(error).OfType<OptionsValidationException>().ToList();
        Assert.True(validation.Count > 0, $"Expected an OptionsValidationException, got {error}");
        return string.Join(Environment.NewLine, validation.Select(v => v.Message));
    }

    private static IEnumerable<Exception> Flatten(Exception error)
    {
        yield return error;
        var inner = error is AggregateException aggregate ? aggregate.InnerExceptions : error.InnerException is { } one ? [one] : [];
        foreach (var child in inner.SelectMany(Flatten))
        {
            yield return child;
        }
    }

    [Fact]
    public void Certificate_without_private_key_stops_start_up()
    {
        using var certificate = TestCertificates.Create();
        using var service = Service(TestCertificates.Base64Setting(0, "public-only", certificate, withPrivateKey: false));

        var message = StartupError(service);

        Assert.Contains("RichNotifications:Certificates:0 ('public-only'", message, StringComparison.Ordinal);
        Assert.Contains("has no private key", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Expired_certificate_stops_start_up()
    {
        var now = ServiceFactory.Start;
        using var good = TestCertificates.Create("good");
        using var expired = TestCertificates.Create("expired", notBefore: now.AddYears(-2), notAfter: now.AddDays(-1));
        using var service = Service(TestCertificates.Base64Setting(0, "good", good).Concat(TestCertificates.Base64Setting(1, "old", expired)).ToDictionary());

        var message = StartupError(service);

        Assert.Contains("RichNotifications:Certificates:1 ('old'", message, StringComparison.Ordinal);
        Assert.Contains("expired on", message, StringComparison.Ordinal);
        Assert.DoesNotContain("Certificates:0", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Key_under_2048_bits_stops_start_up()
    {
        using var weak = TestCertificates.Create("weak", keySize: 1024);
        using var service = Service(TestCertificates.Base64Setting(0, "weak", weak));

        var message = StartupError(service);

        Assert.Contains("RichNotifications:Certificates:0 ('weak'", message, StringComparison.Ordinal);
        Assert.Contains("1024-bit key", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_file_stops_start_up()
    {
        using var service = Service(new Dictionary<string, string?>
        {
            ["RichNotifications:Certificates:0:EncryptionCertificateId"] = "on-disk",
            ["RichNotifications:Certificates:0:SourceType"] = "Path",
            ["RichNotifications:Certificates:0:CertificateDiskPath"] = Path.Combine(Path.GetTempPath(), Guid.NewGuid() + ".pfx"),
        });

        var message = StartupError(service);

        Assert.Contains("RichNotifications:Certificates:0 ('on-disk', SourceType Path) could not be loaded", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_or_repeated_or_long_ids_stop_start_up()
    {
        using var certificate = TestCertificates.Create();
        var settings = TestCertificates.Base64Setting(0, "same", certificate)
            .Concat(TestCertificates.Base64Setting(1, "same", certificate))
            .Concat(TestCertificates.Base64Setting(2, new string('x', 129), certificate))
            .Concat(TestCertificates.Base64Setting(3, "dropped", certificate))
            .ToDictionary();
        settings["RichNotifications:Certificates:3:EncryptionCertificateId"] = null;
        using var service = Service(settings);

        var message = StartupError(service);

        Assert.Contains("RichNotifications:Certificates:1:EncryptionCertificateId 'same' repeats RichNotifications:Certificates:0", message, StringComparison.Ordinal);
        Assert.Contains("RichNotifications:Certificates:2:EncryptionCertificateId is 129 characters long", message, StringComparison.Ordinal);
        Assert.Contains("RichNotifications:Certificates:3:EncryptionCertificateId is missing", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plain_http_metadata_address_stops_start_up_outside_emulator_mode()
    {
        using var service = Service(new Dictionary<string, string?> { ["RichNotifications:MetadataAddress"] = "http://127.0.0.1:5000/common/.well-known/openid-configuration" });

        var message = StartupError(service);

        Assert.Contains("RichNotifications:MetadataAddress 'http://127.0.0.1:5000/common/.well-known/openid-configuration' must use HTTPS", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Live_mode_with_certificates_needs_an_app_id()
    {
        // With Graph:ClientId set (Live mode requires it) the app id defaults to it; this is the case without either.
        var options = new RichNotificationsOptions { Certificates = [new EncryptionCertificateOptions { EncryptionCertificateId = "c1" }] };

        var result = new RichNotificationsOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("RichNotifications:AppIds is empty", result.FailureMessage, StringComparison.Ordinal);
        Assert.True(new RichNotificationsOptionsValidator().Validate(null, new RichNotificationsOptions { EmulatorMode = true, Certificates = options.Certificates }).Succeeded);
    }

    [Fact]
    public void Live_mode_with_certificates_and_a_domain_tenant_needs_the_allowed_tenant_ids()
    {
        using var certificate = TestCertificates.Create();
        using var service = Service(TestCertificates.Base64Setting(0, "c1", certificate)).WithSetting("Graph:TenantId", "contoso.onmicrosoft.com");

        var message = StartupError(service);

        Assert.Contains("Graph:AllowedTenantIds is empty and Graph:TenantId is not a tenant id", message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_allowed_tenant_id_that_is_not_a_GUID_stops_start_up_and_the_listed_ones_are_the_tenants()
    {
        using var wrong = Service(new Dictionary<string, string?> { ["Graph:AllowedTenantIds:0"] = "contoso.onmicrosoft.com" });
        Assert.Contains("Graph:AllowedTenantIds 'contoso.onmicrosoft.com' is not a tenant id", StartupError(wrong), StringComparison.Ordinal);

        const string other = "11111111-2222-4333-8444-555555555555";
        using var listed = Service(new Dictionary<string, string?> { ["Graph:AllowedTenantIds:0"] = other });
        Assert.Equal([Guid.Parse(other)], listed.Services.GetRequiredService<IOptions<RichNotificationsOptions>>().Value.TenantIds);
        using var single = Service(new Dictionary<string, string?>());
        Assert.Equal([Guid.Parse(RichService.TenantId)], single.Services.GetRequiredService<IOptions<RichNotificationsOptions>>().Value.TenantIds);
    }

    [Fact]
    public void App_id_defaults_to_the_graph_client_id()
    {
        using var service = Service(new Dictionary<string, string?>()).WithSetting("RichNotifications:AppIds:0", null);

        var options = service.Services.GetRequiredService<IOptions<RichNotificationsOptions>>().Value;

        Assert.Equal([RichService.AppId], options.AppIds);
        Assert.False(options.EmulatorMode);
    }

    [Fact]
    public void Certificate_from_a_pfx_file_is_loaded()
    {
        using var certificate = TestCertificates.Create();
        var database = TempPaths.NewDatabase();
        try
        {
            using var service = Service(TestCertificates.PathSetting(0, "from-file", certificate, Path.GetDirectoryName(database)!));

            var current = service.Services.GetRequiredService<ISubscriptionEncryptionCertificateSource>().Current;

            Assert.Equal("from-file", current?.Id);
            Assert.Equal(certificate.Thumbprint, current?.Certificate.Thumbprint);
        }
        finally
        {
            TempPaths.DeleteFolderOf(database);
        }
    }

    [Fact]
    public void Live_mode_without_certificates_has_no_current_certificate()
    {
        using var service = Service(new Dictionary<string, string?>());

        Assert.Null(service.Services.GetRequiredService<ISubscriptionEncryptionCertificateSource>().Current);
    }

    [Fact]
    public void Emulator_mode_generates_a_certificate_once_and_reuses_it_after_a_restart()
    {
        var databasePath = TempPaths.NewDatabase();
        string firstId;
        using (var first = Service(new Dictionary<string, string?>(), mode: "Emulator", databasePath: databasePath))
        {
            var current = first.Services.GetRequiredService<ISubscriptionEncryptionCertificateSource>().Current;
            Assert.NotNull(current);
            Assert.StartsWith(EmulatorEncryptionCertificate.IdPrefix, current.Id, StringComparison.Ordinal);
            Assert.True(current.Certificate.HasPrivateKey);
            Assert.Null(CertificateRequirements.Problem(current.Certificate, first.Time.GetUtcNow()));
            firstId = current.Id;
        }

        var file = Path.Combine(Path.GetDirectoryName(databasePath)!, "rich-notifications-emulator.pfx");
        Assert.True(File.Exists(file));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        using var second = Service(new Dictionary<string, string?>(), mode: "Emulator", databasePath: databasePath);
        Assert.Equal(firstId, second.Services.GetRequiredService<ISubscriptionEncryptionCertificateSource>().Current?.Id);
    }
}
