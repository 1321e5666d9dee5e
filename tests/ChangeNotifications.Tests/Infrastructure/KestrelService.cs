using ChangeNotifications.Dispatching;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;

namespace ChangeNotifications.Tests.Infrastructure;

/// <summary>
/// The real service on Kestrel (a dynamic loopback port) with its in-process emulator, so the emulator's handshakes and
/// notifications reach the service's own endpoints: a SQLite file, the dispatcher's loop off (tests tick it), no
/// generated changes, a long token lifetime, <paramref name="time"/> as the clock of both, and a log collector.
/// </summary>
internal static class KestrelService
{
    public static WebApplicationFactory<Program> Start(
        string databasePath, TimeProvider time, IChangeNotificationHandler handler, IEnumerable<KeyValuePair<string, string?>>? settings = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["Storage:SqlitePath"] = databasePath,
            ["Dispatcher:Enabled"] = "false",
            ["Graph:Mode"] = "Emulator",
            ["Graph:Emulator:AccessTokenLifetime"] = "90.00:00:00",
            ["Graph:Emulator:ChangePace"] = "30.00:00:00", // no generated changes: the inbox holds only what a test causes
        };
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseEnvironment("Development");
            foreach (var (key, value) in all)
            {
                builder.UseSetting(key, value);
            }

            builder.ConfigureTestServices(services =>
            {
                services.AddSingleton(time);
                services.AddFakeLogging();
                services.AddSingleton(handler);
            });
        });
        factory.UseKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0));
        factory.StartServer();
        return factory;
    }
}
