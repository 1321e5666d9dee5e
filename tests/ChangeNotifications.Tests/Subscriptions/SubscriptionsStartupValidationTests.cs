using ChangeNotifications.Storage;
using ChangeNotifications.Subscriptions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Graph;
using Microsoft.Kiota.Abstractions.Authentication;

namespace ChangeNotifications.Tests.Subscriptions;

/// <summary>A wrong <c>Subscriptions</c> section stops the host's start with a message naming the setting.</summary>
public class SubscriptionsStartupValidationTests
{
    private const string Url = "https://example.org/api/notifications";

    [Theory]
    [InlineData("/users/u1/unknownthings", "updated", null, "Subscriptions:Items:0:Resource '/users/u1/unknownthings' is not a path Graph supports")]
    [InlineData("/users", "created", null, "Subscriptions:Items:0:ChangeType 'created' is not allowed for User")]
    [InlineData("/drives/b!x/root", "created,updated", null, "Subscriptions:Items:0:ChangeType 'created' is not allowed for DriveItemBusiness")]
    [InlineData("/users/u1/messages", "created", "10081", "Subscriptions:Items:0:ExpirationMinutes 10081 is past the maximum of 10080 minutes for Message")]
    [InlineData("/users/u1/messages", "created", "30", "Subscriptions:Items:0:ExpirationMinutes 30 is below Graph's floor")]
    [InlineData("/me/messages", "created", null, "Subscriptions:Items:0:Resource '/me/messages' uses /me, which works with delegated permissions only")]
    [InlineData("/drives/b!x/items/folder1", "updated", null, "OneDrive for Business allows the drive's root only")]
    public async Task Bad_item_stops_start_up_naming_the_setting(string resource, string changeType, string? expiration, string expected)
    {
        var settings = Valid();
        settings["Subscriptions:Items:0:Resource"] = resource;
        settings["Subscriptions:Items:0:ChangeType"] = changeType;
        settings["Subscriptions:Items:0:ExpirationMinutes"] = expiration;

        var error = await StartAsync(settings);

        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rich_notifications_on_a_resource_without_them_stop_start_up()
    {
        var settings = Valid();
        settings["Subscriptions:Items:1:Resource"] = "/users";
        settings["Subscriptions:Items:1:ChangeType"] = "updated";
        settings["Subscriptions:Items:1:IncludeResourceData"] = "true";

        var error = await StartAsync(settings);

        Assert.Contains("Subscriptions:Items:1:IncludeResourceData is true but User does not support rich notifications", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Subscriptions:NotificationUrl", "http://example.org/api/notifications", "Subscriptions:NotificationUrl 'http://example.org/api/notifications' must use HTTPS")]
    [InlineData("Subscriptions:NotificationUrl", "not a url", "Subscriptions:NotificationUrl 'not a url' is not an absolute HTTPS URL")]
    [InlineData("Subscriptions:LifecycleNotificationUrl", "ftp://example.org/x", "Subscriptions:LifecycleNotificationUrl 'ftp://example.org/x' is not an absolute HTTPS URL")]
    [InlineData("Subscriptions:MaxLifetimes:Mesage", "7.00:00:00", "Subscriptions:MaxLifetimes:Mesage names no resource of the catalog")]
    [InlineData("Subscriptions:RenewAtFraction", "1.5", "Subscriptions:RenewAtFraction is 1.5")]
    public async Task Bad_setting_stops_start_up_naming_it(string key, string value, string expected)
    {
        var settings = Valid();
        settings[key] = value;

        var error = await StartAsync(settings);

        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Live_mode_without_a_notification_url_stops_start_up()
    {
        var settings = Valid();
        settings["Subscriptions:NotificationUrl"] = null;
        settings["Graph:Mode"] = "Live";

        var error = await StartAsync(settings);

        Assert.Contains("Subscriptions:NotificationUrl is missing: in Live mode Graph needs the public HTTPS URL", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Emulator_mode_may_leave_the_notification_url_to_the_services_own_address()
    {
        var options = new SubscriptionsOptions();
        options.Items.Add(new SubscriptionItemOptions { Resource = "/users", ChangeType = "updated" });
        var emulatorMode = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Graph:Mode"] = "Emulator" }).Build();

        Assert.True(new SubscriptionsOptionsValidator(emulatorMode).Validate(null, options).Succeeded);
    }

    [Fact]
    public async Task Duplicate_items_stop_start_up()
    {
        var settings = Valid();
        settings["Subscriptions:Items:1:Resource"] = "users/u1/Messages";
        settings["Subscriptions:Items:1:ChangeType"] = "updated, created";

        var error = await StartAsync(settings);

        Assert.Contains("Subscriptions:Items:1 repeats Subscriptions:Items:0", error, StringComparison.Ordinal);
    }

    [Fact]
    public void One_item_for_each_of_the_fourteen_resource_types_is_valid()
    {
        var options = new SubscriptionsOptions { NotificationUrl = Url };
        options.Items.AddRange(SubscriptionTestPaths.AllFourteen.Select(p => new SubscriptionItemOptions { Resource = p.Resource, ChangeType = p.ChangeType }));

        var result = new SubscriptionsOptionsValidator().Validate(null, options);

        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.Equal("https://example.org/api/lifecycle", options.EffectiveLifecycleNotificationUrl);
    }

    [Fact]
    public void Loopback_http_is_accepted_for_the_emulator()
    {
        var options = new SubscriptionsOptions { NotificationUrl = "http://127.0.0.1:5000/api/notifications" };
        options.Items.Add(new SubscriptionItemOptions { Resource = "/users", ChangeType = "updated" });

        Assert.True(new SubscriptionsOptionsValidator().Validate(null, options).Succeeded);
    }

    private static Dictionary<string, string?> Valid() => new()
    {
        ["Storage:SqlitePath"] = Path.Combine(Path.GetTempPath(), $"cn-sub-validation-{Guid.NewGuid():N}.db"),
        ["Subscriptions:NotificationUrl"] = Url,
        ["Subscriptions:Items:0:Resource"] = "/users/u1/messages",
        ["Subscriptions:Items:0:ChangeType"] = "created,updated",
    };

    /// <summary>Builds and starts a host as Program does; returns the start-up failure's message.</summary>
    private static async Task<string> StartAsync(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton(new GraphServiceClient(new HttpClient(), new AnonymousAuthenticationProvider(), "http://127.0.0.1:9/v1.0"));
        builder.Services.AddStorage(builder.Configuration);
        builder.Services.AddSubscriptionManagement(builder.Configuration);
        using var host = builder.Build();
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        return error.Message;
    }
}
