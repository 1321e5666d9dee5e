using System.Net;
using ChangeNotifications.Resources;
using ChangeNotifications.Storage.Postgres;
using ChangeNotifications.Tests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace ChangeNotifications.Tests.Storage.Postgres;

/// <summary>
/// The service as a process on PostgreSQL (<c>Storage:Provider=Postgres</c>): the README's run, and a notification that
/// reaches another instance than the one that created its subscription.
/// </summary>
[Collection(ProcessTestsCollection.Name)]
public sealed class PostgresServiceTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _folder = new("cn-pg-service-");

    public void Dispose() => _folder.Dispose();

    [PostgresFact]
    public async Task The_run_on_PostgreSQL_creates_the_14_demo_subscriptions_and_handles_a_notification_of_every_type()
    {
        var connectionString = await PostgresDatabase.CreateAsync();
        await using var service = await ServiceProcess.StartAsync(ServiceLaunch.DotnetRun, settings: Settings(connectionString, "one"));
        var expectedTypes = Enum.GetValues<ResourceType>().Where(t => t != ResourceType.Unknown).Select(t => t.ToString()).ToHashSet();

        var done = await service.WaitForAsync(
            events => ServiceProcess.WithEventId(events, 4001).Count() >= 14 && expectedTypes.IsSubsetOf(HandledTypes(events)),
            Budget);

        Log(service);
        Assert.Equal(14, ServiceProcess.WithEventId(service.Events, 4001).Count());
        var missing = expectedTypes.Except(HandledTypes(service.Events)).ToList();
        Assert.True(missing.Count == 0, $"no handled notification within {Budget.TotalSeconds} s for: {string.Join(", ", missing)}");
        Assert.True(done);
        Assert.Equal(14, await CountAsync(connectionString, "SELECT COUNT(*) FROM subscriptions WHERE graph_id IS NOT NULL"));
        Assert.True(await CountAsync(connectionString, "SELECT COUNT(*) FROM inbox WHERE status = 2") >= 14);
    }

    [PostgresFact]
    public async Task A_notification_for_a_subscription_another_instance_created_is_stored_and_handled()
    {
        var connectionString = await PostgresDatabase.CreateAsync();
        // The receiver starts first: the subscriptions it is sent a notification of are created after it read the table.
        // It only stores (its dispatcher is off): each process here runs an emulator of its own, whose token keys the
        // other's rich notifications do not verify against, so the creator, on the emulator that made them, handles.
        var receiverSettings = Settings(connectionString, "receiver");
        receiverSettings["Dispatcher:Enabled"] = "false";
        await using var receiver = await ServiceProcess.StartAsync(ServiceLaunch.ReceiverDll, settings: receiverSettings);
        await using var creator = await ServiceProcess.StartAsync(ServiceLaunch.DotnetRun, settings: Settings(connectionString, "creator"));
        Assert.True(
            await creator.WaitForAsync(events => ServiceProcess.WithEventId(events, 4001).Count() >= 14, Budget),
            "the creating instance did not create its subscriptions");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var subscription = (await new PostgresSubscriptionStore(dataSource, TimeProvider.System).ListAsync(default))
            .First(s => s.Resource.StartsWith("/users/", StringComparison.OrdinalIgnoreCase) && s.Resource.EndsWith("/messages", StringComparison.OrdinalIgnoreCase));

        using var client = new HttpClient { BaseAddress = receiver.BaseAddress };
        var messageId = Guid.NewGuid().ToString("N");
        var response = await client.PostAsync(
            "/api/notifications", Payloads.Json(Payloads.Batch(Payloads.Item(subscription, "deleted", messageId))));

        // Stored by the receiver (the 202), then handled by the creator's dispatcher from the shared inbox.
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var handled = await receiver.WaitForAsync(_ => HandledLine(receiver, creator, messageId) is not null, Budget);
        foreach (var line in receiver.Lines.Concat(creator.Lines).Where(l => l.Contains(messageId, StringComparison.Ordinal)))
        {
            output.WriteLine(line);
        }

        Assert.True(handled, "no instance handled the notification");
        Assert.Equal(subscription.GraphId!.Value.ToString(), ServiceProcess.Property(HandledLine(receiver, creator, messageId)!.Value, "SubscriptionId"), ignoreCase: true);
        Assert.Equal(1, await CountAsync(connectionString, $"SELECT COUNT(*) FROM inbox WHERE status = 2 AND position('{messageId}' IN convert_from(payload, 'UTF8')) > 0"));
    }

    private static System.Text.Json.JsonElement? HandledLine(ServiceProcess receiver, ServiceProcess creator, string messageId) =>
        ServiceProcess.WithEventId(receiver.Events.Concat(creator.Events).ToList(), 2010)
            .Select(e => (System.Text.Json.JsonElement?)e)
            .FirstOrDefault(e => ServiceProcess.Property(e!.Value, "Resource")?.EndsWith(messageId, StringComparison.Ordinal) == true);

    private Dictionary<string, string> Settings(string connectionString, string instance) => new()
    {
        ["Storage:Provider"] = "Postgres",
        [PostgresStorageOptions.ConnectionStringKey] = connectionString,
        ["Storage:DataFolder"] = Path.Combine(_folder.Path, instance),
    };

    private static async Task<long> CountAsync(string connectionString, string sql)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var command = dataSource.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private void Log(ServiceProcess service)
    {
        foreach (var line in service.Lines.Take(40))
        {
            output.WriteLine(line);
        }
    }

    private static HashSet<string> HandledTypes(IEnumerable<System.Text.Json.JsonElement> events) =>
        ServiceProcess.WithEventId(events, 2010).Select(e => ServiceProcess.Property(e, "ResourceType") ?? string.Empty).ToHashSet();
}
