using ChangeNotifications.GraphEmulator.Subscriptions;
using ChangeNotifications.GraphEmulator.Tenant;

namespace ChangeNotifications.Tests.Emulator;

/// <summary>The emulator's own table of subscribable paths, in the path forms Graph accepts.</summary>
public sealed class ResourceRulesTests
{
    [Theory]
    [InlineData("/print/printers/" + SeedIds.PrinterId + "/jobs", "printer", 4230)]
    [InlineData("print/taskDefinitions/" + SeedIds.PrintTaskDefinitionId + "/tasks", "printTaskDefinition", 4230)]
    [InlineData("/users/" + SeedIds.UserId + "/mailFolders('inbox')/messages", "message", 10080)]
    [InlineData("me/messages", "message", 10080)]
    [InlineData("/users/" + SeedIds.UserId + "/events", "event", 10080)]
    [InlineData("/users/" + SeedIds.UserId + "/contacts", "contact", 10080)]
    [InlineData("/users", "user", 41760)]
    [InlineData("/users/" + SeedIds.UserId, "user", 41760)]
    [InlineData("/groups/" + SeedIds.GroupId + "/members", "group", 41760)]
    [InlineData("/groups/" + SeedIds.GroupId + "/conversations", "conversation", 4230)]
    [InlineData("/users/" + SeedIds.UserId + "/drive/root", "driveItem", 42300)]
    [InlineData("/drives/" + SeedIds.DriveId + "/root", "driveItem", 42300)]
    [InlineData("/sites/" + SeedIds.SiteId + "/lists/" + SeedIds.ListId, "list", 42300)]
    [InlineData("/security/alerts?$filter=status eq 'newAlert'", "alert", 43200)]
    [InlineData("/communications/callRecords", "callRecord", 4230)]
    [InlineData("/teams/getAllMessages", "chatMessage", 4320)]
    [InlineData("/teams/" + SeedIds.TeamId + "/channels/" + SeedIds.ChannelId + "/messages", "chatMessage", 4320)]
    [InlineData("/chats/" + SeedIds.ChatId + "/messages", "chatMessage", 4320)]
    public void Every_documented_path_form_finds_its_rule(string resource, string kind, int maxMinutes)
    {
        var rule = ResourceRules.Find(resource);

        Assert.NotNull(rule);
        Assert.Equal(kind, rule.Name);
        Assert.Equal(TimeSpan.FromMinutes(maxMinutes), rule.MaxLifetime);
    }

    [Theory]
    [InlineData("/users/" + SeedIds.UserId + "/unknownThings")]
    [InlineData("/drives/" + SeedIds.DriveId + "/root/children")]
    [InlineData("")]
    public void Paths_graph_refuses_find_no_rule(string resource) => Assert.Null(ResourceRules.Find(resource));

    [Fact]
    public void Outlook_with_resource_data_has_the_shorter_maximum()
    {
        var rule = ResourceRules.Find($"users/{SeedIds.UserId}/messages")!;

        Assert.Equal(TimeSpan.FromMinutes(1440), rule.MaxLifetimeFor(includeResourceData: true));
        Assert.Equal(TimeSpan.FromMinutes(10080), rule.MaxLifetimeFor(includeResourceData: false));
    }

    [Fact]
    public void Normal_form_ignores_leading_slash_parentheses_and_me_compared_ignoring_case()
    {
        Assert.Equal(
            ResourceRules.Normalize($"users/me/mailFolders/inbox/messages"),
            ResourceRules.Normalize("/me/mailFolders('inbox')/messages"),
            ignoreCase: true);
    }
}
