using ChangeNotifications.Dispatching;
using ChangeNotifications.Handlers;
using ChangeNotifications.Inbox;
using ChangeNotifications.Receiving;
using ChangeNotifications.Security;
using ChangeNotifications.Storage;
using ChangeNotifications.Storage.Sqlite;
using ChangeNotifications.Subscriptions;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Tests.Storage;

/// <summary><c>AddStorage</c> alone chooses and registers the store; the features only use its contracts.</summary>
public sealed class StorageRegistrationTests : IDisposable
{
    private readonly TempDirectory _directory = new("cn-storage-registration-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void No_feature_registers_a_SQLite_class()
    {
        var configuration = Configuration([]);
        var services = new ServiceCollection()
            .AddInbox()
            .AddReceiving(configuration)
            .AddDispatching(configuration)
            .AddSubscriptionManagement(configuration)
            .AddChangeHandlers()
            .AddRichNotifications(configuration);

        var sqlite = services.Where(d => IsSqlite(d.ServiceType) || IsSqlite(d.ImplementationType)).Select(d => d.ServiceType.Name).ToList();

        Assert.Empty(sqlite);
    }

    [Fact]
    public async Task The_SQLite_store_serves_every_storage_contract_whichever_Add_comes_first()
    {
        var configuration = Configuration([]);
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton<IHostEnvironment>(new TestEnvironment(_directory.Path))
            .AddChangeHandlers()
            .AddInbox()
            .AddStorage(configuration);
        await using var provider = services.BuildServiceProvider();

        Assert.IsType<SqliteInbox>(provider.GetRequiredService<IInbox>());
        Assert.IsType<SqliteSubscriptionStore>(provider.GetRequiredService<ISubscriptionStore>());
        Assert.IsType<SqliteDeltaLinkStore>(provider.GetRequiredService<IDeltaLinkStore>());
        Assert.Equal(Path.Combine(_directory.Path, "data"), provider.GetRequiredService<DataFolder>().Path);
    }

    [Theory]
    [InlineData("Postgre")]
    [InlineData("sqllite")]
    public void An_unknown_provider_stops_start_up_naming_the_setting(string provider)
    {
        var configuration = Configuration(new() { ["Storage:Provider"] = provider });

        var error = Assert.Throws<OptionsValidationException>(() => new ServiceCollection().AddStorage(configuration));

        Assert.Equal($"Storage:Provider must be Sqlite or Postgres (got '{provider}').", error.Message);
    }

    [Fact]
    public void The_provider_setting_is_read_as_the_options_binder_reads_it()
    {
        var configuration = Configuration(new() { ["Storage:Provider"] = "sqlite" });

        var services = new ServiceCollection().AddStorage(configuration);

        Assert.Contains(services, d => d.ServiceType == typeof(IInbox) && d.ImplementationType == typeof(SqliteInbox));
    }

    private static bool IsSqlite(Type? type) => type?.Namespace == typeof(SqliteDatabase).Namespace;

    private IConfiguration Configuration(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>(settings)
        {
            ["Storage:SqlitePath"] = Path.Combine(_directory.Path, "data", "service.db"),
        }).Build();
}
