using ChangeNotifications.GraphEmulator.Subscriptions;
using ChangeNotifications.GraphEmulator.Tenant;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.Graph.Models;

namespace ChangeNotifications.Tests.Emulator;

/// <summary>With a state path the emulator's subscriptions and tenant outlive it: a second emulator on the file goes on where the first stopped.</summary>
public sealed class EmulatorStateTests : IAsyncLifetime
{
    private static readonly string DriveRoot = $"drives/{SeedIds.DriveId}/root";
    private readonly string _statePath = Path.Combine(Path.GetDirectoryName(TempPaths.NewDatabase())!, "graph-emulator.json");
    private LoopbackReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await LoopbackReceiver.StartAsync();

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        TempPaths.DeleteFolderOf(_statePath);
    }

    [Fact]
    public async Task A_restarted_emulator_has_the_same_subscriptions_resources_and_delta_positions()
    {
        IReadOnlyList<EmulatedSubscription> before;
        string messageId;
        string deltaLink;
        string driveItemId;
        await using (var first = await EmulatorFixture.StartAsync(o => o.StatePath = _statePath))
        {
            var created = await first.Graph.Subscriptions.PostAsync(new Subscription
            {
                ChangeType = "created,updated",
                NotificationUrl = _receiver.Url.ToString(),
                Resource = $"users/{SeedIds.UserId}/messages",
                ExpirationDateTime = DateTimeOffset.UtcNow.AddMinutes(55),
                ClientState = "secret-state",
            });
            Assert.Equal(1, first.Control.TriggerChange(Guid.Parse(created!.Id!), changeType: "created"));
            messageId = (await first.Graph.Users[SeedIds.UserId].Messages.GetAsync())!.Value!.Last().Id!;
            var latest = await first.Graph.Drives[SeedIds.DriveId].Items["root"].Delta
                .WithUrl($"{first.Server.GraphBaseUrl}/{DriveRoot}/delta?token=latest").GetAsDeltaGetResponseAsync();
            deltaLink = latest!.OdataDeltaLink!;
            var tenant = (EmulatedTenant)first.Server.Options.Tenant!;
            Assert.NotNull(tenant.MakeChange(DriveRoot, "updated"));
            driveItemId = (string)tenant.List($"drives/{SeedIds.DriveId}/items")!.Last()["id"]!;
            before = first.Control.Subscriptions;
        }

        Assert.True(File.Exists(_statePath));
        await using var second = await EmulatorFixture.StartAsync(o => o.StatePath = _statePath);

        var after = second.Control.Subscriptions;
        var subscription = Assert.Single(after);
        Assert.Equal(Normalized(Assert.Single(before)), Normalized(subscription));
        Assert.Equal("secret-state", subscription.ClientState);
        Assert.Equal(["created", "updated"], subscription.ChangeTypes.Order(StringComparer.Ordinal));
        Assert.NotNull(await second.Graph.Users[SeedIds.UserId].Messages[messageId].GetAsync());

        // The first emulator's delta token, asked of the second (on another port): exactly the change made before the restart.
        var token = new Uri(deltaLink).Query;
        var changes = await second.Graph.Drives[SeedIds.DriveId].Items["root"].Delta
            .WithUrl($"{second.Server.GraphBaseUrl}/{DriveRoot}/delta{token}").GetAsDeltaGetResponseAsync();
        Assert.Equal([driveItemId], changes!.Value!.Select(i => i.Id));

        // And the second goes on numbering after the first: a new change is new to a link taken now.
        var now = changes.OdataDeltaLink!;
        var tenantAfter = (EmulatedTenant)second.Server.Options.Tenant!;
        Assert.NotNull(tenantAfter.MakeChange(DriveRoot, "updated"));
        var later = await second.Graph.Drives[SeedIds.DriveId].Items["root"].Delta.WithUrl(now).GetAsDeltaGetResponseAsync();
        var newItem = Assert.Single(later!.Value!);
        Assert.NotEqual(driveItemId, newItem.Id);
    }

    [Fact]
    public async Task Subscriptions_are_on_disk_as_soon_as_they_are_created()
    {
        await using var emulator = await EmulatorFixture.StartAsync(o => o.StatePath = _statePath);

        var created = await emulator.Graph.Subscriptions.PostAsync(new Subscription
        {
            ChangeType = "updated",
            NotificationUrl = _receiver.Url.ToString(),
            Resource = DriveRoot,
            ExpirationDateTime = DateTimeOffset.UtcNow.AddMinutes(55),
            ClientState = "secret-state",
        });

        Assert.Contains(created!.Id!, await File.ReadAllTextAsync(_statePath), StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_statePath));
        }
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("{\"format\": 99, \"subscriptions\": []}")]
    [InlineData("{\"format\": 1, \"subscriptions\": [], \"tenant\": {\"version\": 3}}")]
    public async Task An_unreadable_state_file_stops_the_start_naming_the_file(string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_statePath)!);
        await File.WriteAllTextAsync(_statePath, content);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => EmulatorFixture.StartAsync(o => o.StatePath = _statePath));

        Assert.Contains(_statePath, error.Message, StringComparison.Ordinal);
        Assert.Equal(content, await File.ReadAllTextAsync(_statePath));
    }

    private static EmulatedSubscription Normalized(EmulatedSubscription subscription) =>
        subscription with { ChangeTypes = EmptySet };

    private static readonly IReadOnlySet<string> EmptySet = new HashSet<string>();
}
