using System.Text.Json.Nodes;
using ChangeNotifications.GraphEmulator.Tenant;
using ChangeNotifications.Resources;

namespace ChangeNotifications.Tests.EmulatorTenant;

/// <summary>What <see cref="EmulatedTenant.MakeChange"/> changes and the notification it returns, for each type.</summary>
public sealed class TenantChangeTests
{
    private readonly EmulatedTenant _tenant = new();

    [Theory]
    [InlineData($"print/printers/{SeedIds.PrinterId}/jobs", "updated", ResourceType.Printer)]
    [InlineData($"print/taskDefinitions/{SeedIds.PrintTaskDefinitionId}/tasks", "created", ResourceType.PrintTaskDefinition)]
    [InlineData($"users/{SeedIds.UserId}/messages", "created", ResourceType.Message)]
    [InlineData($"me/mailFolders('inbox')/messages", "updated", ResourceType.Message)]
    [InlineData($"users/{SeedIds.UserId}/events", "deleted", ResourceType.Event)]
    [InlineData($"users/{SeedIds.UserId}/contacts", "created", ResourceType.Contact)]
    [InlineData("users", "updated", ResourceType.User)]
    [InlineData($"users/{SeedIds.SecondUserId}", "updated", ResourceType.User)]
    [InlineData("groups", "updated", ResourceType.Group)]
    [InlineData($"groups/{SeedIds.GroupId}/owners", "updated", ResourceType.Group)]
    [InlineData($"groups/{SeedIds.GroupId}/conversations", "created", ResourceType.Conversation)]
    [InlineData($"users/{SeedIds.UserId}/drive/root", "updated", ResourceType.DriveItem)]
    [InlineData($"drives/{SeedIds.DriveId}/root", "updated", ResourceType.DriveItem)]
    [InlineData($"sites/{SeedIds.SiteId}/lists/{SeedIds.ListId}", "updated", ResourceType.List)]
    [InlineData("security/alerts?$filter=status eq 'newAlert'", "created", ResourceType.Alert)]
    [InlineData("communications/callRecords", "updated", ResourceType.CallRecord)]
    [InlineData("teams/getAllMessages", "created", ResourceType.ChatMessage)]
    [InlineData($"chats/{SeedIds.ChatId}/messages", "deleted", ResourceType.ChatMessage)]
    public void Each_type_changes_and_reports_a_resource_of_its_type(string subscription, string changeType, ResourceType expected)
    {
        var change = _tenant.MakeChange(subscription, changeType);

        Assert.NotNull(change);
        Assert.Equal(expected, ResourceTypeResolver.Resolve(change.Resource, change.ODataType));
        Assert.DoesNotContain("me/", change.Resource, StringComparison.OrdinalIgnoreCase);
        if (expected is ResourceType.DriveItem or ResourceType.List)
        {
            Assert.Null(change.ResourceId);
        }
        else
        {
            Assert.NotNull(change.ResourceId);
            Assert.Contains(change.ResourceId, change.Resource, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Message_notifications_use_Graphs_GUID_path_and_carry_the_message()
    {
        var change = _tenant.MakeChange("me/messages", "created")!;

        Assert.Equal($"Users/{SeedIds.UserId}/Messages/{change.ResourceId}", change.Resource);
        Assert.Equal(change.Resource, change.ODataId);
        Assert.Equal("#Microsoft.Graph.Message", change.ODataType);
        Assert.StartsWith("W/\"", change.ETag, StringComparison.Ordinal);
        Assert.Equal(change.ResourceId, (string?)JsonNode.Parse(change.ResourceJson!)!["id"]);
        Assert.NotNull(_tenant.Find(change.Resource));
    }

    [Fact]
    public void Channel_messages_use_the_quoted_key_form_and_carry_the_message_json()
    {
        var change = _tenant.MakeChange($"teams/{SeedIds.TeamId}/channels/{SeedIds.ChannelId}/messages", "created")!;

        Assert.Equal($"teams('{SeedIds.TeamId}')/channels('{SeedIds.ChannelId}')/messages('{change.ResourceId}')", change.Resource);
        var json = JsonNode.Parse(change.ResourceJson!)!;
        Assert.Equal("#microsoft.graph.teamworkUserIdentity", (string?)json["from"]!["user"]!["@odata.type"]);
        Assert.Equal(SeedIds.TeamId, (string?)json["channelIdentity"]!["teamId"]);
    }

    [Fact]
    public void Deleted_items_are_gone_and_soft_deleted_chat_messages_stay_with_a_deletion_time()
    {
        var deleted = _tenant.MakeChange($"users/{SeedIds.UserId}/contacts", "deleted")!;
        Assert.Null(_tenant.Find(deleted.Resource));

        var chat = _tenant.MakeChange($"chats/{SeedIds.ChatId}/messages", "deleted")!;
        Assert.NotNull((string?)_tenant.Find(chat.Resource)!["deletedDateTime"]);
    }

    [Theory]
    [InlineData("users", "created")]
    [InlineData($"drives/{SeedIds.DriveId}/root", "created")]
    [InlineData($"print/taskDefinitions/{SeedIds.PrintTaskDefinitionId}/tasks", "updated")]
    [InlineData("subscriptions", "created")]
    [InlineData("users/00000000-0000-0000-0000-000000000000/messages", "created")]
    [InlineData($"users/{SeedIds.UserId}/messages", "moved")]
    public void Changes_a_path_cannot_make_return_null(string subscription, string changeType)
    {
        if (subscription == "users")
        {
            // Graph reports user creation as 'updated'; deleting a seeded user is refused.
            Assert.Equal("updated", _tenant.MakeChange(subscription, changeType)!.ChangeType);
            Assert.Null(_tenant.MakeChange($"users/{SeedIds.UserId}", "deleted"));
            return;
        }

        Assert.Null(_tenant.MakeChange(subscription, changeType));
    }

    [Fact]
    public void The_seed_is_deterministic()
    {
        var other = new EmulatedTenant();

        foreach (var path in new[] { $"users/{SeedIds.UserId}/messages", $"drives/{SeedIds.DriveId}/items", "security/alerts", $"chats/{SeedIds.ChatId}/messages" })
        {
            Assert.Equal(_tenant.List(path)!.Select(i => (string?)i["id"]), other.List(path)!.Select(i => (string?)i["id"]));
        }

        Assert.NotNull(_tenant.Find($"users/{SeedIds.UserId}/drive"));
        Assert.Equal(SeedIds.UserDriveId, (string?)_tenant.Find($"users/{SeedIds.UserId}/drive")!["id"]);
    }

    [Fact]
    public async Task Concurrent_changes_are_all_applied()
    {
        var before = _tenant.List($"users/{SeedIds.UserId}/messages")!.Count;

        var changes = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(() => _tenant.MakeChange($"users/{SeedIds.UserId}/messages", "created"))));

        Assert.Equal(64, changes.Select(c => c!.ResourceId).Distinct().Count());
        Assert.Equal(before + 64, _tenant.List($"users/{SeedIds.UserId}/messages")!.Count);
    }
}
