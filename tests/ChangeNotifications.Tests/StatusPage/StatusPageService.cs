using ChangeNotifications.Dispatching;
using ChangeNotifications.Graph.Emulator;
using ChangeNotifications.GraphEmulator.Hosting;
using ChangeNotifications.Subscriptions;
using ChangeNotifications.Tests.Infrastructure;
using ChangeNotifications.Tests.Subscriptions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Playwright;

namespace ChangeNotifications.Tests.StatusPage;

/// <summary>
/// The service as configured (Emulator mode, its 14 demo subscriptions, the dispatcher running) on Kestrel at a
/// loopback port a browser can reach, with no generated changes (the test triggers them), plus headless Chromium.
/// </summary>
internal sealed class StatusPageService : IAsyncDisposable
{
    private readonly TempSqlite _file = new();
    private readonly WebApplicationFactory<Program> _factory;
    private IPlaywright? _playwright;

    public StatusPageService(params IChangeNotificationHandler[] handlers)
    {
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseEnvironment("Development");
            builder.UseSetting("Storage:SqlitePath", _file.FilePath);
            builder.UseSetting("Graph:Mode", "Emulator");
            builder.UseSetting("Graph:Emulator:ChangePace", "30.00:00:00");
            builder.ConfigureTestServices(services =>
            {
                services.AddFakeLogging();
                foreach (var handler in handlers)
                {
                    services.AddSingleton(handler);
                }
            });
        });
        _factory.UseKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0));
        _factory.StartServer();
    }

    public IServiceProvider Services => _factory.Services;

    /// <summary>Kestrel's address (the port it picked).</summary>
    public Uri BaseAddress => new(Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());

    public FakeLogCollector Logs => Services.GetFakeLogCollector();

    public Task<GraphEmulatorServer> EmulatorAsync() => Services.GetRequiredService<EmulatorHost>().GetServerAsync();

    /// <summary>Waits until the reconciler has every demo subscription active in the emulator.</summary>
    public Task SubscriptionsActiveAsync()
    {
        var health = Services.GetRequiredService<ISubscriptionHealth>();
        return RealClock.WaitUntilAsync(() => health.Snapshot() is { Count: 14 } all && all.All(s => s.State == SubscriptionState.Active), seconds: 60);
    }

    /// <summary>A new browser page (the emulator's self-signed certificate accepted, as a person clicks through it).</summary>
    public async Task<IPage> NewPageAsync()
    {
        _playwright ??= await Playwright.CreateAsync();
        var browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumFactAttribute.Executable ?? "chromium", Headless = true });
        var context = await browser.NewContextAsync(new() { IgnoreHTTPSErrors = true, ViewportSize = new() { Width = 1280, Height = 900 } });
        return await context.NewPageAsync();
    }

    /// <summary>Opens the status page and signs in on the emulator's form.</summary>
    public async Task<IPage> SignInAsync(string userName)
    {
        var page = await NewPageAsync();
        await page.GotoAsync(new Uri(BaseAddress, "/status").ToString());
        await page.FillAsync("#username", userName);
        await page.FillAsync("#password", ChangeNotifications.GraphEmulator.Tenant.SeedIds.UserPassword);
        await page.ClickAsync("#signin");
        return page;
    }

    public async ValueTask DisposeAsync()
    {
        _playwright?.Dispose(); // closes the browsers it launched
        await _factory.DisposeAsync();
        _file.Dispose();
    }
}
