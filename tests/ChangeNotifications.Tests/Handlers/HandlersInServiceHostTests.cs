using ChangeNotifications.Dispatching;
using ChangeNotifications.Graph;
using ChangeNotifications.GraphEmulator.Tenant;
using ChangeNotifications.Handlers;
using ChangeNotifications.Resources;
using ChangeNotifications.Storage;
using ChangeNotifications.Tests.Infrastructure;
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
        using var host = await StartEmulatorModeHostAsync(directory, emulatorKeepsState: true);
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

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task After_a_restart_on_the_same_data_folder_a_drive_change_is_handled_by_the_new_emulator(bool emulatorKeepsState)
    {
        var directory = Directory.CreateTempSubdirectory("cn-handlers-restart-").FullName;
        const string drive = $"drives/{SeedIds.DriveId}/root";
        try
        {
            int firstPort;
            using (var first = await StartEmulatorModeHostAsync(directory, emulatorKeepsState))
            {
                firstPort = EmulatorPort(first);
                await Handler(first, ResourceType.DriveItem).PrepareAsync(drive, CancellationToken.None);
                await first.StopAsync();
            }

            using var second = await StartEmulatorModeHostAsync(directory, emulatorKeepsState);
            try
            {
                Assert.NotEqual(firstPort, EmulatorPort(second));
                var tenant = second.Services.GetRequiredService<EmulatedTenant>();
                var change = tenant.MakeChange(drive, "updated")!;

                await ((IChangeNotificationHandler)Handler(second, ResourceType.DriveItem)).HandleAsync(
                    Notifications.ContextFor(change, HandlerHarness.Subscription(drive)), CancellationToken.None);

                var logs = second.Services.GetRequiredService<FakeLogCollector>().GetSnapshot();
                if (emulatorKeepsState)
                {
                    Assert.DoesNotContain(logs, r => r.Id.Id == 7150); // the restored tenant knows the old run's token
                }
                else
                {
                    Assert.Equal("resyncRequired", Assert.Single(logs, r => r.Id.Id == 7150).Prop("Reason")); // a fresh tenant does not
                }

                var added = Assert.Single(tenant.List($"drives/{SeedIds.DriveId}/items")!, i => ((string)i["name"]!).StartsWith("Notes", StringComparison.Ordinal));
                Assert.Contains(logs, r => r.Id.Id == 5161 && r.Prop("ItemId") == (string)added["id"]!);
            }
            finally
            {
                await second.StopAsync();
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<IHost> StartEmulatorModeHostAsync(string directory, bool emulatorKeepsState)
    {
        Dictionary<string, string?> settings = new() { ["Graph:Mode"] = "Emulator", ["Graph:Emulator:Port"] = "0" };
        if (!emulatorKeepsState)
        {
            settings["Graph:Emulator:StateFile"] = "";
        }

        var host = GraphHost.Build(settings, builder => builder.Services.AddFakeLogging().AddStorage(builder.Configuration).AddChangeHandlers(), directory);
        await host.StartAsync();
        return host;
    }

    private static DeltaChangeHandler Handler(IHost host, ResourceType type) =>
        (DeltaChangeHandler)host.Services.GetServices<IChangeNotificationHandler>().Last(h => h.ResourceType == type);

    private static int EmulatorPort(IHost host) => host.Services.GetRequiredService<GraphServiceClient>().RequestAdapter.BaseUrl is { } url ? new Uri(url).Port : 0;
}
