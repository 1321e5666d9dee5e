using System.Net;
using ChangeNotifications.Resources;
using ChangeNotifications.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ChangeNotifications.Tests.LocalRun;

/// <summary>The README's run command, with no configuration, shows the whole flow in its logs within 15 seconds.</summary>
[Collection(ProcessTestsCollection.Name)]
public sealed class LocalRunTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Fresh_run_creates_every_subscription_and_handles_a_notification_of_every_type_within_15_seconds()
    {
        await using var service = await ServiceProcess.StartAsync(ServiceLaunch.DotnetRun);
        var expectedTypes = Enum.GetValues<ResourceType>().Where(t => t != ResourceType.Unknown).Select(t => t.ToString()).ToHashSet();

        var done = await service.WaitForAsync(
            events => ServiceProcess.WithEventId(events, 4001).Count() >= 14
                && expectedTypes.IsSubsetOf(HandledTypes(events))
                && ServiceProcess.WithEventId(events, 1010).Any(),
            Budget - service.Started.Elapsed);
        var elapsed = service.Started.Elapsed;

        foreach (var line in service.Lines.Take(40))
        {
            output.WriteLine(line);
        }

        output.WriteLine($"elapsed: {elapsed.TotalSeconds:0.0} s");
        var created = ServiceProcess.WithEventId(service.Events, 4001).Select(e => ServiceProcess.Property(e, "Resource")).ToList();
        Assert.True(created.Count >= 14, $"subscriptions created: {created.Count} of 14 ({string.Join(", ", created)})");
        var missing = expectedTypes.Except(HandledTypes(service.Events)).ToList();
        Assert.True(missing.Count == 0, $"no handled notification within {Budget.TotalSeconds} s for: {string.Join(", ", missing)}");
        Assert.True(done);
    }

    [Fact]
    public async Task Fresh_run_answers_a_validation_handshake()
    {
        await using var service = await ServiceProcess.StartAsync(ServiceLaunch.DotnetRun);
        using var client = new HttpClient { BaseAddress = service.BaseAddress };
        const string token = "Validation: Testing client application reachability for subscription Request-Id: 6b8e5e7c-0000-4000-8000-000000000001";

        var ownAddress = service.BaseAddress.GetLeftPart(UriPartial.Authority);
        var ready = await service.WaitForAsync(
            events => ServiceProcess.WithEventId(events, 14).Any(e => ServiceProcess.Property(e, "address") == ownAddress),
            TimeSpan.FromSeconds(60));
        Assert.True(ready, "the service did not start listening");
        var response = await client.PostAsync($"/api/notifications?validationToken={Uri.EscapeDataString(token).Replace("%20", "+", StringComparison.Ordinal)}", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(token, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Restart_on_the_same_data_folder_keeps_the_subscriptions_and_goes_on_handling_notifications()
    {
        var database = TempPaths.NewDatabase();
        var port = ServiceProcess.FreePort();
        var expectedTypes = Enum.GetValues<ResourceType>()
            .Where(t => t != ResourceType.Unknown)
            .Select(t => t.ToString())
            .ToHashSet();
        try
        {
            HashSet<string> created;
            await using (var first = await ServiceProcess.StartAsync(ServiceLaunch.DotnetRun, database, port: port))
            {
                var ready = await first.WaitForAsync(
                    events => ServiceProcess.WithEventId(events, 4001).Count() >= 14 && ServiceProcess.WithEventId(events, 2010).Any(),
                    TimeSpan.FromSeconds(60));
                Assert.True(ready, "the first run did not create its subscriptions and handle a notification");
                created = ServiceProcess.WithEventId(first.Events, 4001).Select(e => ServiceProcess.Property(e, "GraphId")!).ToHashSet(StringComparer.OrdinalIgnoreCase);
                first.Kill();
            }

            await using var second = await ServiceProcess.StartAsync(ServiceLaunch.DotnetRun, database, port: port);
            await second.WaitForAsync(events => expectedTypes.IsSubsetOf(HandledTypes(events)), TimeSpan.FromSeconds(60));

            foreach (var line in second.Lines.Take(30))
            {
                output.WriteLine(line);
            }

            Assert.Empty(second.EventsWithId(4002).Select(e => ServiceProcess.Property(e, "Reason")));
            // The restored tenant knows the delta links the first run stored: no resync is needed.
            Assert.Empty(second.EventsWithId(7150).Select(e => ServiceProcess.Property(e, "DeltaKey")));
            Assert.Empty(second.EventsWithId(4001).Select(e => ServiceProcess.Property(e, "Resource")));
            var restored = Assert.Single(second.EventsWithId(7200));
            Assert.Equal("14", ServiceProcess.Property(restored, "Count"));
            var missing = expectedTypes.Except(HandledTypes(second.Events)).ToList();
            Assert.True(missing.Count == 0, $"no handled notification after the restart for: {string.Join(", ", missing)}");
            var subscriptions = second.EventsWithId(2010).Select(e => ServiceProcess.Property(e, "SubscriptionId")!).ToHashSet(StringComparer.OrdinalIgnoreCase);
            Assert.Subset(created, subscriptions);
        }
        finally
        {
            TempPaths.DeleteFolderOf(database);
        }
    }

    private static HashSet<string> HandledTypes(IEnumerable<System.Text.Json.JsonElement> events) =>
        ServiceProcess.WithEventId(events, 2010).Select(e => ServiceProcess.Property(e, "ResourceType") ?? string.Empty).ToHashSet();
}
