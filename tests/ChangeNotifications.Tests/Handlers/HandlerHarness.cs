using System.Text.Json.Nodes;
using ChangeNotifications.Dispatching;
using ChangeNotifications.GraphEmulator.Tenant;
using ChangeNotifications.Handlers;
using ChangeNotifications.Logging;
using ChangeNotifications.Notifications;
using ChangeNotifications.Resources;
using ChangeNotifications.Storage;
using ChangeNotifications.Subscriptions;
using ChangeNotifications.Tests.EmulatorTenant;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Hosting;

namespace ChangeNotifications.Tests.Handlers;

/// <summary>
/// The service's handlers as <c>AddChangeHandlers()</c> registers them, over the real GraphServiceClient of a
/// <see cref="TenantHost"/>, a real SQLite file in a temp directory, and a FakeLogger collector.
/// <see cref="Restart"/> builds a new container (new store instance) over the same file.
/// </summary>
internal sealed class HandlerHarness : IAsyncDisposable
{
    private readonly TempDirectory _directory = new("cn-handlers-");
    private ServiceProvider _services;

    private readonly Action<IServiceCollection>? _configure;

    private HandlerHarness(TenantHost host, Action<IServiceCollection>? configure)
    {
        Host = host;
        _configure = configure;
        _services = Build();
    }

    public TenantHost Host { get; }

    public EmulatedTenant Tenant => Host.Tenant;

    public FakeLogCollector Logs => _services.GetRequiredService<FakeLogCollector>();

    /// <summary>Handlers over <paramref name="host"/> with a freshly seeded tenant.</summary>
    /// <param name="configure">Registrations after <c>AddChangeHandlers()</c>, as an application would add them.</param>
    public static HandlerHarness Start(TenantHost host, int deltaPageSize = 50, Action<IServiceCollection>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        host.Reset(deltaPageSize);
        return new HandlerHarness(host, configure);
    }

    /// <summary>The handler the dispatcher would pick for <paramref name="type"/>.</summary>
    public IChangeNotificationHandler HandlerFor(ResourceType type) => Registry.For(type);

    public HandlerRegistry Registry => _services.GetRequiredService<HandlerRegistry>();

    public IDeltaLinkStore DeltaLinks => _services.GetRequiredService<IDeltaLinkStore>();

    /// <summary>A new container over the same SQLite file: what a process restart looks like to the handlers.</summary>
    public async Task RestartAsync()
    {
        await _services.DisposeAsync();
        _services = Build();
    }

    /// <summary>Makes a change in the emulator under <paramref name="subscriptionResource"/> and hands the notification
    /// Graph would send to the handler of its type, as the dispatcher does.</summary>
    public async Task<EmulatedChange> NotifyAsync(string subscriptionResource, string changeType, bool rich = false)
    {
        var change = Tenant.MakeChange(subscriptionResource, changeType)
            ?? throw new InvalidOperationException($"The emulator made no {changeType} change under {subscriptionResource}.");
        await DeliverAsync(change, subscriptionResource, rich);
        return change;
    }

    public async Task DeliverAsync(EmulatedChange change, string subscriptionResource, bool rich = false)
    {
        var context = Notifications.ContextFor(change, Subscription(subscriptionResource), rich);
        await HandlerFor(context.ResourceType).HandleAsync(context, CancellationToken.None);
    }

    public Task ResyncAsync(string subscriptionResource, string reason = "missed")
    {
        var record = Subscription(subscriptionResource);
        var path = ResourcePath.Parse(record.Resource);
        return HandlerFor(ResourceTypeResolver.Resolve(path)).ResyncAsync(new ResyncContext(record.ToView(), ResourceTypeResolver.Resolve(path), path, reason), CancellationToken.None);
    }

    public static SubscriptionRecord Subscription(string resource) => new()
    {
        Key = resource,
        Resource = resource,
        ChangeType = "created,updated,deleted",
        ClientState = "not-logged",
        GraphId = Notifications.SubscriptionId,
    };

    /// <summary>Records of the log lines with event id <paramref name="eventId"/>, newest last.</summary>
    public IReadOnlyList<FakeLogRecord> Lines(int eventId) => Logs.GetSnapshot().Where(r => r.Id.Id == eventId).ToList();

    public FakeLogRecord Line(int eventId) => Assert.Single(Lines(eventId));

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        _directory.Dispose();
    }

    private ServiceProvider Build()
    {
        var services = new ServiceCollection();
        // Emulated data: the handlers' personal data is written, as in the service's Emulator mode.
        services.AddFakeLogging().AddPersonalDataRedaction(personalDataAllowed: true);
        services.AddSingleton(Host.Graph);
        services.AddSingleton<IHostEnvironment>(new TestEnvironment(_directory.Path));
        services.AddStorage(new ConfigurationBuilder().AddInMemoryCollection([new("Storage:SqlitePath", "handlers.db")]).Build());
        services.AddSingleton<LoggingChangeHandler>();
        services.AddSingleton<HandlerRegistry>();
        services.AddChangeHandlers();
        _configure?.Invoke(services);
        return services.BuildServiceProvider();
    }
}

/// <summary>Builds what the dispatcher hands a handler: the notification JSON as Graph sends it, parsed the way the dispatcher parses it.</summary>
internal static class Notifications
{
    public static readonly Guid SubscriptionId = Guid.Parse("0f0e0d0c-0b0a-4909-8807-060504030201");

    public static string JsonFor(EmulatedChange change)
    {
        var item = new JsonObject
        {
            ["id"] = "lsgTZMr9KwAAA",
            ["subscriptionId"] = SubscriptionId.ToString(),
            ["subscriptionExpirationDateTime"] = "2026-11-30T10:00:00.0000000+00:00",
            ["clientState"] = "not-logged",
            ["changeType"] = change.ChangeType,
            ["resource"] = change.Resource,
            ["tenantId"] = SeedIds.TenantId,
        };
        var resourceData = new JsonObject { ["@odata.type"] = change.ODataType };
        foreach (var (name, value) in new[] { ("@odata.id", change.ODataId), ("@odata.etag", change.ETag), ("id", change.ResourceId) })
        {
            if (value is not null)
            {
                resourceData[name] = value;
            }
        }

        item["resourceData"] = resourceData;
        return item.ToJsonString();
    }

    public static ChangeNotificationContext ContextFor(EmulatedChange change, SubscriptionRecord subscription, bool rich = false)
    {
        var notification = StoredNotification.Parse(SubscriptionId, isChange: true, JsonFor(change)).Notification!;
        var resource = ResourcePath.Parse(notification.Resource ?? subscription.Resource);
        var type = ResourceTypeResolver.Resolve(resource);
        if (type == ResourceType.Unknown)
        {
            type = ResourceTypeResolver.Resolve(subscription.Resource, notification.ResourceData?.OdataType);
        }

        return new ChangeNotificationContext(notification, subscription.ToView(), type, resource, notification.TenantId, InboxId: 1, Attempt: 1)
        {
            DecryptedContent = rich ? change.ResourceJson : null,
        };
    }
}

internal static class LogRecordExtensions
{
    /// <summary>The structured property <paramref name="name"/> of a log line, as the logger formatted it.</summary>
    public static string? Prop(this FakeLogRecord record, string name) =>
        Assert.Single(record.StructuredState!, p => p.Key == name).Value;
}
