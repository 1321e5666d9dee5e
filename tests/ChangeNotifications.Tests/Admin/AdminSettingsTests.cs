using ChangeNotifications.Admin;
using ChangeNotifications.Graph;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Web;

namespace ChangeNotifications.Tests.Admin;

/// <summary>The admin API's settings: bounds named when refused, and Live mode's app registration for its tokens.</summary>
public sealed class AdminSettingsTests
{
    [Fact]
    public void Settings_out_of_range_are_refused_naming_the_setting()
    {
        Assert.True(new AdminOptionsValidator().Validate(null, new AdminOptions()).Succeeded);

        var result = new AdminOptionsValidator().Validate(null, new AdminOptions
        {
            RequiredRole = "",
            MaxPageSize = 0,
            RateLimit = new AdminRateLimitOptions { PermitLimit = 0, Window = TimeSpan.Zero },
        });

        Assert.Contains("Admin:RequiredRole must name an app role", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Admin:MaxPageSize must be between 1 and 1000", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Admin:RateLimit:PermitLimit must be between 1 and 1000000", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Admin:RateLimit:Window must be between 00:00:01 and 1.00:00:00", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_setting_stops_start_up()
    {
        using var service = new ServiceFactory().WithSetting("Admin:RateLimit:PermitLimit", "0");

        var failure = Assert.ThrowsAny<OptionsValidationException>(() => service.CreateClient());

        Assert.Contains("Admin:RateLimit:PermitLimit", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void In_live_mode_tokens_are_for_the_graph_app_registration_unless_AzureAd_names_another()
    {
        const string Tenant = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e";
        const string GraphApp = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f";
        var own = Identity(new() { ["Graph:Mode"] = "Live", ["Graph:TenantId"] = Tenant, ["Graph:ClientId"] = GraphApp });
        var other = Identity(new() { ["Graph:Mode"] = "Live", ["Graph:TenantId"] = Tenant, ["Graph:ClientId"] = GraphApp, ["AzureAd:ClientId"] = "api-app" });

        Assert.Equal(GraphApp, own.ClientId);
        Assert.Equal(Tenant, own.TenantId);
        Assert.Equal("https://login.microsoftonline.com/", own.Instance);
        Assert.Equal("api-app", other.ClientId);
    }

    private static MicrosoftIdentityOptions Identity(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddOptions<GraphOptions>().Bind(configuration.GetSection(GraphOptions.Section));
        services.AddAdminApi(configuration);
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptionsMonitor<MicrosoftIdentityOptions>>().Get(JwtBearerDefaults.AuthenticationScheme);
    }
}
