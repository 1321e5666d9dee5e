using ChangeNotifications.Dispatching;
using ChangeNotifications.Inbox;
using ChangeNotifications.Subscriptions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace ChangeNotifications.Tests.Infrastructure;

/// <summary>
/// The service in-process over a SQLite file of its own, with the dispatcher loop off (tests call its tick),
/// a fake clock, a hand-fake subscription store and a log collector.
/// </summary>
internal sealed class ServiceFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;
    private readonly List<Action<IServiceCollection>> _services = [];
    private readonly List<Action<IConfigurationBuilder>> _configuration = [];
    private readonly bool _ownsDatabase;

    /// <param name="databasePath">null: a new file in a folder of its own, deleted with the factory.</param>
    /// <param name="dispatcherEnabled">Whether the dispatcher's loop runs (else tests call its tick).</param>
    public ServiceFactory(string? databasePath = null, bool dispatcherEnabled = false)
    {
        _ownsDatabase = databasePath is null;
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

    /// <summary>Where <see cref="Time"/> starts. Whatever a test compares with the service's clock (a certificate's
    /// validity, an expiry) is made relative to this, not to the real date, which moves on.</summary>
    public static readonly DateTimeOffset Start = new(2026, 11, 27, 8, 0, 0, TimeSpan.Zero);

    public FakeTimeProvider Time { get; } = new(Start);

    public TestSubscriptionStore Subscriptions { get; init; } = new();

    public ServiceFactory WithSetting(string key, string? value)
    {
        _settings[key] = value;
        return this;
    }

    /// <summary>Configuration sources on top of the service's own (as its environment variables are).</summary>
    public ServiceFactory WithConfiguration(Action<IConfigurationBuilder> configure)
    {
        _configuration.Add(configure);
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

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && _ownsDatabase)
        {
            TempPaths.DeleteFolderOf(DatabasePath);
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureAppConfiguration((_, configuration) =>
        {
            foreach (var configure in _configuration)
            {
                configure(configuration);
            }
        });
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

internal static class TempPaths
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "changenotifications-tests");

    /// <summary>A database path in a new folder of its own; <see cref="DeleteFolderOf"/> removes it.</summary>
    public static string NewDatabase()
    {
        var directory = Path.Combine(Root, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, "test.db");
    }

    /// <summary>Deletes the folder <see cref="NewDatabase"/> made for <paramref name="databasePath"/> and whatever the test
    /// left in it (the database, its WAL, certificates); nothing outside this class's root. Best effort.</summary>
    public static void DeleteFolderOf(string databasePath)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(databasePath));
        if (folder is null || !folder.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            return;
        }

        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A file still held open elsewhere: the folder stays, as every folder did before.
        }
    }
}
