using ChangeNotifications.Graph;
using ChangeNotifications.Graph.Emulator;
using ChangeNotifications.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;
using ChangeNotifications.Tests.Emulator;
using ChangeNotifications.Tests.Infrastructure;
using ChangeNotifications.GraphEmulator.Tenant;

namespace ChangeNotifications.Tests.Graph;

/// <summary><c>AddGraph</c> in a host: Emulator mode starts the emulator and gives a working GraphServiceClient.</summary>
public sealed class AddGraphTests
{
    [Fact]
    public void Graph_section_is_bound_once_when_rich_notifications_also_ask_for_it()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Graph:Mode"] = "Emulator" }).Build();
        var services = new ServiceCollection();

        services.AddGraph(configuration);
        services.AddRichNotifications(configuration);

        Assert.Single(services, d => d.ServiceType == typeof(IConfigureOptions<GraphOptions>) && d.ImplementationInstance is NamedConfigureFromConfigurationOptions<GraphOptions>);
        Assert.Single(services, d => d.ServiceType == typeof(IOptionsChangeTokenSource<GraphOptions>));
    }

    [Fact]
    public async Task Emulator_mode_starts_the_emulator_and_the_client_reaches_it()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var host = BuildHost(new() { ["Graph:Mode"] = "Emulator", ["Graph:Emulator:AccessTokenLifetime"] = "1.00:00:00" }, time);
        await host.StartAsync();
        await using var receiver = await LoopbackReceiver.StartAsync();
        var graph = host.Services.GetRequiredService<GraphServiceClient>();
        var endpoints = host.Services.GetRequiredService<GraphEndpoints>();

        var created = await graph.Subscriptions.PostAsync(new Subscription
        {
            ChangeType = "updated",
            Resource = "users",
            NotificationUrl = receiver.Url.ToString(),
            ExpirationDateTime = time.GetUtcNow().AddHours(2),
        });
        time.Advance(TimeSpan.FromHours(3));
        var gone = await Assert.ThrowsAsync<ODataError>(() => graph.Subscriptions[created!.Id].GetAsync());

        Assert.Equal("127.0.0.1", endpoints.GraphBaseUrl.Host);
        Assert.Equal(Uri.UriSchemeHttps, endpoints.GraphBaseUrl.Scheme);
        Assert.Equal(SeedIds.TenantId, endpoints.TenantId);
        Assert.Equal(404, gone.ResponseStatusCode);
        await host.StopAsync();
    }

    [Fact]
    public async Task Live_mode_without_credentials_stops_start_up_naming_the_settings()
    {
        using var host = BuildHost(new() { ["Graph:Mode"] = "Live", ["Graph:TenantId"] = "contoso.onmicrosoft.com" }, TimeProvider.System);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Graph:ClientId is required", error.Message, StringComparison.Ordinal);
        Assert.Contains("Graph:ClientSecret, Graph:ClientCertificate or Graph:ManagedIdentity", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Live_mode_client_targets_the_configured_base_url()
    {
        using var host = BuildHost(LiveSettings(), TimeProvider.System);

        var graph = host.Services.GetRequiredService<GraphServiceClient>();

        Assert.Equal("https://graph.microsoft.com/v1.0", graph.RequestAdapter.BaseUrl);
        Assert.Throws<InvalidOperationException>(() => { _ = host.Services.GetRequiredService<EmulatorHost>().GetServerAsync(); });
    }

    [Fact]
    public async Task Live_mode_with_a_managed_identity_starts_without_the_app_id()
    {
        using var host = BuildHost(new() { ["Graph:Mode"] = "Live", ["Graph:TenantId"] = Guid.NewGuid().ToString(), ["Graph:ManagedIdentity"] = "true" }, TimeProvider.System);

        await host.StartAsync();

        Assert.Null(host.Services.GetRequiredService<GraphEndpoints>().ClientId);
        Assert.Equal("https://graph.microsoft.com/v1.0", host.Services.GetRequiredService<GraphServiceClient>().RequestAdapter.BaseUrl);
        await host.StopAsync();
    }

    [Fact]
    public void Live_mode_registers_no_emulated_tenant_and_hands_out_the_one_client()
    {
        using var host = BuildHost(LiveSettings(), TimeProvider.System);

        var provider = host.Services.GetRequiredService<IGraphClientProvider>();

        Assert.Null(host.Services.GetService<IEmulatedTenant>());
        Assert.Same(host.Services.GetRequiredService<GraphServiceClient>(), provider.ForApp());
    }

    [Fact]
    public void Emulator_mode_registers_the_emulated_tenant()
    {
        using var host = BuildHost(new() { ["Graph:Mode"] = "Emulator" }, TimeProvider.System);

        Assert.NotNull(host.Services.GetService<IEmulatedTenant>());
    }

    private static Dictionary<string, string?> LiveSettings() => new()
    {
        ["Graph:Mode"] = "Live",
        ["Graph:TenantId"] = "contoso.onmicrosoft.com",
        ["Graph:ClientId"] = Guid.NewGuid().ToString(),
        ["Graph:ClientSecret"] = "secret",
    };

    private static IHost BuildHost(Dictionary<string, string?> settings, TimeProvider time) =>
        GraphHost.Build(settings, builder => builder.Services.AddSingleton(time));
}
