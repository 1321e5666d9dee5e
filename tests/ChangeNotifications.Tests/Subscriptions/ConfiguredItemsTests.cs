using ChangeNotifications.Resources;
using ChangeNotifications.Subscriptions;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Tests.Subscriptions;

/// <summary>
/// <c>Subscriptions:Items</c> as the service binds them (Program, its appsettings.json): a Live deployment configured by
/// environment variables alone has exactly its own items; the emulator's 14 apply only in Emulator mode with none.
/// </summary>
public sealed class ConfiguredItemsTests
{
    [Fact]
    public void Live_configuration_from_environment_variables_alone_has_exactly_its_own_items()
    {
        // Real environment variables read by the environment-variable provider (double underscores), under a prefix of
        // this test's so that no other test sees them.
        var prefix = $"CNTEST{Guid.NewGuid():N}_";
        var variables = new Dictionary<string, string>
        {
            ["Graph__Mode"] = "Live",
            ["Graph__TenantId"] = "11111111-2222-4333-8444-555555555555",
            ["Graph__ClientId"] = "66666666-7777-4888-9999-000000000000",
            ["Graph__ClientSecret"] = "not-used",
            ["RichNotifications__AppIds__0"] = "66666666-7777-4888-9999-000000000000",
            ["Subscriptions__NotificationUrl"] = "https://webhooks.contoso.example/api/notifications",
            ["Subscriptions__Items__0__Resource"] = "/users/0b1c2d3e-0000-4000-8000-000000000001/messages",
            ["Subscriptions__Items__0__ChangeType"] = "created",
            ["Subscriptions__Items__1__Resource"] = "/groups",
            ["Subscriptions__Items__1__ChangeType"] = "updated,deleted",
        };
        foreach (var (key, value) in variables)
        {
            Environment.SetEnvironmentVariable(prefix + key, value);
        }

        try
        {
            using var factory = new ServiceFactory().WithConfiguration(c => c.AddEnvironmentVariables(prefix));

            var items = factory.Services.GetRequiredService<IOptions<SubscriptionsOptions>>().Value.Items;

            Assert.Equal(
                ["/users/0b1c2d3e-0000-4000-8000-000000000001/messages created", "/groups updated,deleted"],
                items.Select(i => $"{i.Resource} {i.ChangeType}"));
        }
        finally
        {
            foreach (var key in variables.Keys)
            {
                Environment.SetEnvironmentVariable(prefix + key, null);
            }
        }
    }

    [Fact]
    public void Emulator_mode_with_no_items_configured_gets_one_demo_subscription_of_each_of_the_14_types()
    {
        using var factory = new ServiceFactory();

        var items = factory.Services.GetRequiredService<IOptions<SubscriptionsOptions>>().Value.Items;

        Assert.Equal(EmulatorDemoSubscriptions.Items.Select(i => i.Resource), items.Select(i => i.Resource));
        var types = items.Select(i => new ResourceCatalog().Find(ResourcePath.Parse(i.Resource!))!.Name).ToHashSet();
        Assert.Equal(14, types.Count);
    }

    [Fact]
    public void Emulator_mode_with_items_configured_has_exactly_those()
    {
        using var factory = new ServiceFactory()
            .WithSetting("Subscriptions:Items:0:Resource", "/users")
            .WithSetting("Subscriptions:Items:0:ChangeType", "updated");

        var items = factory.Services.GetRequiredService<IOptions<SubscriptionsOptions>>().Value.Items;

        Assert.Equal("/users", Assert.Single(items).Resource);
    }
}
