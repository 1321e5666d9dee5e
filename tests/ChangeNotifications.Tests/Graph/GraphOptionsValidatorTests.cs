using ChangeNotifications.Graph;
using Microsoft.Identity.Web;

namespace ChangeNotifications.Tests.Graph;

public sealed class GraphOptionsValidatorTests
{
    private readonly GraphOptionsValidator _validator = new();

    [Fact]
    public void Emulator_mode_needs_no_settings()
    {
        Assert.True(_validator.Validate(null, new GraphOptions()).Succeeded);
    }

    [Fact]
    public void Live_mode_names_every_missing_setting()
    {
        var result = _validator.Validate(null, new GraphOptions { Mode = GraphMode.Live });

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.StartsWith("Graph:TenantId is required", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Graph:ClientId is required", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("exactly one credential, 0 given", StringComparison.Ordinal));
    }

    [Fact]
    public void Live_mode_refuses_two_credentials()
    {
        var options = LiveOptions();
        options.ManagedIdentity = true;

        var result = _validator.Validate(null, options);

        Assert.Contains(result.Failures!, f => f.Contains("exactly one credential, 2 given", StringComparison.Ordinal));
    }

    [Fact]
    public void Live_mode_with_a_secret_is_valid()
    {
        Assert.True(_validator.Validate(null, LiveOptions()).Succeeded);
    }

    [Fact]
    public void Certificate_from_a_path_needs_the_path()
    {
        var options = LiveOptions();
        options.ClientSecret = null;
        options.ClientCertificate = new CertificateDescription { SourceType = CertificateSource.Path };

        var result = _validator.Validate(null, options);

        Assert.Contains(result.Failures!, f => f.StartsWith("Graph:ClientCertificate:CertificateDiskPath is required", StringComparison.Ordinal));
    }

    [Fact]
    public void Http_base_url_and_non_guid_client_id_are_refused()
    {
        var options = LiveOptions();
        options.BaseUrl = new Uri("http://graph.example/v1.0");
        options.ClientId = "my-app";

        var result = _validator.Validate(null, options);

        Assert.Contains(result.Failures!, f => f.StartsWith("Graph:BaseUrl must be an absolute https URL", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Graph:ClientId must be", StringComparison.Ordinal));
    }

    [Fact]
    public void Managed_identity_signs_in_without_the_app_id()
    {
        var options = LiveOptions();
        options.ClientSecret = null;
        options.ClientId = null;
        options.ManagedIdentity = true;

        Assert.True(_validator.Validate(null, options).Succeeded);
    }

    [Fact]
    public void Secret_still_needs_the_app_id()
    {
        var options = LiveOptions();
        options.ClientId = null;

        var result = _validator.Validate(null, options);

        Assert.Contains(result.Failures!, f => f.StartsWith("Graph:ClientId is required", StringComparison.Ordinal));
    }

    [Fact]
    public void User_assigned_identity_id_must_be_a_guid()
    {
        var options = LiveOptions();
        options.ClientSecret = null;
        options.ManagedIdentity = true;
        options.ManagedIdentityClientId = "my-identity";

        var result = _validator.Validate(null, options);

        Assert.Contains(result.Failures!, f => f.StartsWith("Graph:ManagedIdentityClientId must be the user-assigned identity's client id", StringComparison.Ordinal));
    }

    [Fact]
    public void User_assigned_identity_id_without_managed_identity_is_refused_not_ignored()
    {
        var options = LiveOptions();
        options.ManagedIdentityClientId = Guid.NewGuid().ToString();

        var result = _validator.Validate(null, options);

        Assert.Contains(result.Failures!, f => f.StartsWith("Graph:ManagedIdentityClientId is set but Graph:ManagedIdentity is not true", StringComparison.Ordinal));
    }

    private static GraphOptions LiveOptions() => new()
    {
        Mode = GraphMode.Live,
        TenantId = "contoso.onmicrosoft.com",
        ClientId = Guid.NewGuid().ToString(),
        ClientSecret = "s",
    };
}
