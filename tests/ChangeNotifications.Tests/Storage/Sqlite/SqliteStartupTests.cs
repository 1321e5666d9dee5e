using ChangeNotifications.Storage;
using ChangeNotifications.Storage.Sqlite;
using ChangeNotifications.Tests.Handlers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace ChangeNotifications.Tests.Storage.Sqlite;

/// <summary>An SQLite file that cannot be opened stops start-up with one message naming the path and <c>Storage:SqlitePath</c>.</summary>
public sealed class SqliteStartupTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("cn-sqlite-startup-").FullName;

    public static TheoryData<string, string> Unopenable => new()
    {
        { "directory", "unable to open database file" },
        { "not-a-database", "file is not a database" },
        { "under-a-file", "the folder cannot be created" },
    };

    [Theory]
    [MemberData(nameof(Unopenable))]
    public async Task A_file_that_cannot_be_opened_stops_start_up_naming_the_path_and_the_setting(string kind, string reason)
    {
        var path = Prepare(kind);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = _folder });
        builder.Configuration.AddInMemoryCollection([new("Storage:SqlitePath", path)]);
        builder.Services.AddFakeLogging();
        builder.Services.AddStorage(builder.Configuration);
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<StorageUnavailableException>(() => host.StartAsync());

        Assert.StartsWith($"Storage:SqlitePath: the SQLite file '{path}' cannot be opened", error.Message, StringComparison.Ordinal);
        var line = Assert.Single(host.Services.GetRequiredService<FakeLogCollector>().GetSnapshot(), r => r.Id.Id == 7351);
        Assert.Equal(LogLevel.Critical, line.Level);
        Assert.Equal(path, line.Prop("SqlitePath"));
        Assert.Contains(reason, line.Prop("Reason"), StringComparison.Ordinal);
        Assert.Null(line.Exception);
    }

    [Fact]
    public async Task A_file_that_opens_lets_the_host_start()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = _folder });
        builder.Configuration.AddInMemoryCollection([new("Storage:SqlitePath", "data/new.db")]);
        builder.Services.AddStorage(builder.Configuration);
        using var host = builder.Build();

        await host.StartAsync();
        await host.StopAsync();

        Assert.True(File.Exists(Path.Combine(_folder, "data", "new.db")));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private string Prepare(string kind)
    {
        var path = Path.Combine(_folder, kind);
        switch (kind)
        {
            case "directory":
                Directory.CreateDirectory(path);
                return path;
            case "not-a-database":
                File.WriteAllText(path, "{\"this is\": \"not an SQLite file, but long enough to have a header\"}\n" + new string('x', 200));
                return path;
            default:
                File.WriteAllText(path, "a file where a folder should be");
                return Path.Combine(path, "inbox.db");
        }
    }
}
