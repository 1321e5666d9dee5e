using ChangeNotifications.Dispatching;
using ChangeNotifications.Graph;
using ChangeNotifications.GraphEmulator.Tenant;
using ChangeNotifications.Handlers;
using ChangeNotifications.Resources;
using ChangeNotifications.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Graph;

namespace ChangeNotifications.Tests.Handlers;

/// <summary>The handlers wired as the service wires them: <c>AddGraph</c> in Emulator mode (the emulator serves the
/// seeded <see cref="EmulatedTenant"/> registered by <c>AddGraph</c>), <c>AddStorage</c>, <c>AddChangeHandlers</c>.</summary>
public sealed class HandlersInServiceHostTests
{
    [Fact]
    public async Task Emulator_mode_serves_the_seeded_tenant_and_a_handler_logs_a_change_from_it()
    {
        var directory = Directory.CreateTempSubdirectory("cn-handlers-host-").FullName;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = directory });
        builder.Configuration.AddInMemoryCollection([new("Graph:Mode", "Emulator"), new("Graph:Emulator:Port", "0")]);
        builder.Services.AddFakeLogging();
        builder.Services.AddGraph(builder.Configuration).AddStorage(builder.Configuration).AddChangeHandlers();
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var tenant = host.Services.GetRequiredService<IEmulatedTenant>();
            var graph = host.Services.GetRequiredService<GraphServiceClient>();
            var handler = host.Services.GetServices<IChangeNotificationHandler>().Last(h => h.ResourceType == ResourceType.Contact);
            var resource = $"users/{SeedIds.UserId}/contacts";

            var adele = await graph.Users[SeedIds.UserId].GetAsync();
            var change = tenant.MakeChange(resource, "created")!;
            await handler.HandleAsync(Notifications.ContextFor(change, HandlerHarness.Subscription(resource)), CancellationToken.None);

            Assert.Equal("Adele Vance", adele!.DisplayName);
            var line = Assert.Single(host.Services.GetRequiredService<FakeLogCollector>().GetSnapshot(), r => r.Id.Id == 5121);
            Assert.Equal(change.ResourceId, line.Prop("ContactId"));
        }
        finally
        {
            await host.StopAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }
}
