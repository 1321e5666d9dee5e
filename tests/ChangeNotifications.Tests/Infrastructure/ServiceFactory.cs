using ChangeNotifications.Dispatching;
using ChangeNotifications.Inbox;
using ChangeNotifications.Subscriptions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace ChangeNotifications.Tests.Infrastructure;

/// <summary>
/// The service in-process over a SQLite file of its own, with the dispatcher loop off (tests call its tick),
/// a fake clock, a hand-fake subscription store and a log collector.
/// </summary>
public sealed class ServiceFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;
    private readonly List<Action<IServiceCollection>> _services = [];

    public ServiceFactory(string? databasePath = null, bool dispatcherEnabled = false)
    {
        DatabasePath = databasePath ?? TempPaths.NewDatabase();
        _settings = new Dictionary<string, string?>
        {
            ["Storage:SqlitePath"] = DatabasePath,
            ["Dispatcher:Enabled"] = dispatcherEnabled ? "true" : "false",
            ["Serilog:MinimumLevel:Default"] = "Debug",
            // Intake and dispatch tests bring their own subscriptions (a hand-fake store); the reconciler would try
            // to create the configured ones against a notification URL nothing listens on in a TestServer.
            ["Subscriptions:Reconcile"] = "false",
        };
    }

    public string DatabasePath { get; }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero));

    public TestSubscriptionStore Subscriptions { get; init; } = new();

    public ServiceFactory WithSetting(string key, string? value)
    {
        _settings[key] = value;
        return this;
    }

    public ServiceFactory WithServices(Action<IServiceCollection> configure)
    {
        _services.Add(configure);
        return this;
    }

    public ServiceFactory WithHandler(IChangeNotificationHandler handler) =>
        WithServices(s => s.AddSingleton(handler));

    public IInbox Inbox => Services.GetRequiredService<IInbox>();

    public NotificationDispatcher Dispatcher => Services.GetRequiredService<NotificationDispatcher>();

    public FakeLogCollector Logs => Services.GetFakeLogCollector();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<TimeProvider>(Time);
            services.AddSingleton<ISubscriptionStore>(Subscriptions);
            services.AddFakeLogging();
            foreach (var configure in _services)
            {
                configure(services);
            }
        });
    }
}

public static class TempPaths
{
    public static string NewDatabase()
    {
        var directory = Path.Combine(Path.GetTempPath(), "changenotifications-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, "test.db");
    }
}
