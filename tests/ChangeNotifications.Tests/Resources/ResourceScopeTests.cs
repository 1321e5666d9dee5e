using ChangeNotifications.GraphEmulator.Tenant;
using ChangeNotifications.Resources;

namespace ChangeNotifications.Tests.Resources;

public sealed class ResourceScopeTests
{
    private const string User = SeedIds.UserId;
    private const string Other = SeedIds.SecondUserId;

    public static TheoryData<string, string?, string?, string, ResourceType> Within => new()
    {
        { $"/users/{User}/messages", $"Users/{User.ToUpperInvariant()}/Messages/AAMk=", "#Microsoft.Graph.Message", $"users/{User.ToUpperInvariant()}/messages/AAMk=", ResourceType.Message },
        { $"/users/{User}/mailFolders('inbox')/messages", $"Users/{User}/Messages/AAMk=", null, $"users/{User}/messages/AAMk=", ResourceType.Message },
        { $"/users/{User}/messages", "/me/messages/AAMk=", null, $"users/{User}/messages/AAMk=", ResourceType.Message },
        { $"/users/{User}/events", null, null, $"users/{User}/events", ResourceType.Event },
        { "/users", $"Users/{User}", "#Microsoft.Graph.User", $"users/{User}", ResourceType.User },
        { $"/groups/{SeedIds.GroupId}/members", $"Groups/{SeedIds.GroupId}", "#Microsoft.Graph.Group", $"groups/{SeedIds.GroupId}", ResourceType.Group },
        { $"/users/{User}/drive/root", "/me/drive/root", null, $"users/{User}/drive/root", ResourceType.DriveItem },
        { $"/users/{User}/drive/root", "/drive/root", null, $"users/{User}/drive/root", ResourceType.DriveItem },
        { $"/drives/{SeedIds.DriveId}/root", "/drive/root", null, $"drives/{SeedIds.DriveId}/root", ResourceType.DriveItem },
        { $"/drives/{SeedIds.DriveId}/root", "/me/drive/root", null, $"drives/{SeedIds.DriveId}/root", ResourceType.DriveItem },
        { $"/sites/{SeedIds.SiteId}/lists/{SeedIds.ListId}", SeedIds.ListId.ToUpperInvariant(), null, $"sites/{SeedIds.SiteId}/lists/{SeedIds.ListId}", ResourceType.List },
        { "/security/alerts?$filter=status eq 'newAlert'", "security/alerts/a1", "#Microsoft.Graph.Alert", "security/alerts/a1", ResourceType.Alert },
        { "/teams/getAllMessages", $"teams('{SeedIds.TeamId}')/channels('{SeedIds.ChannelId}')/messages('1')", null, $"teams/{SeedIds.TeamId}/channels/{SeedIds.ChannelId}/messages/1", ResourceType.ChatMessage },
        { "/faults/items", "faults/items/1", "#microsoft.graph.entity", "faults/items/1", ResourceType.Unknown },
        { $"/print/taskDefinitions/{SeedIds.PrintTaskDefinitionId}/tasks", $"print/printTaskDefinition('{SeedIds.PrintTaskDefinitionId}')/tasks('t1')", null, $"print/printtaskdefinition/{SeedIds.PrintTaskDefinitionId}/tasks/t1", ResourceType.PrintTaskDefinition },
    };

    [Theory]
    [MemberData(nameof(Within))]
    public void Resource_under_the_subscription_resolves_to_its_type_and_the_path_the_handler_gets(string subscription, string? resource, string? odataType, string expected, ResourceType type)
    {
        var verdict = ResourceScope.Check(subscription, resource, odataType);

        Assert.True(verdict.IsWithin, verdict.Reason);
        Assert.Equal(expected, verdict.Path!.Normalized);
        Assert.Equal(type, verdict.Type);
    }

    public static TheoryData<string, string, string?, string> Refused => new()
    {
        { $"/users/{User}/messages", $"Users/{Other}/Messages/AAMk=", null, "outside" },
        { $"/users/{User}/messages", $"Users/{User}/Events/AAMk=", null, "is of type Event, not Message" },
        { $"/users/{User}/messages", $"Users/{User}/Messages/AAMk=", "#microsoft.graph.printTask", "resourceData says" },
        { "/teams/getAllMessages", "chats('19:x@thread.v2')/messages('1')", null, "outside" },
        { $"/teams/{SeedIds.TeamId}/channels/{SeedIds.ChannelId}/messages", $"teams('{SeedIds.TeamId}')/channels('19:other@thread.tacv2')/messages('1')", null, "outside" },
        { $"/users/{User}/drive/root", $"drives/{SeedIds.DriveId}/root", null, "outside" },
        { $"/sites/{SeedIds.SiteId}/lists/{SeedIds.ListId}", Guid.Empty.ToString(), null, "outside" },
        { "/users", "/me", null, "outside" },
        { $"/users/{User}/messages", $"Users/{User}/Messages/%2E%2e", null, "'..'" },
        { $"/users/{User}/messages", $"Users/{User}/Messages(' ')", null, "empty" },
        { $"/users/{User}/messages", "security/alerts/a1", "#Microsoft.Graph.Message", "is of type Alert" },
        { $"/users/{User}/messages", $"Users/{User}/Photos/1", "#Microsoft.Graph.Message", "none of the 14" },
        { "/faults/items", $"Users/{User}/Messages/AAMk=", null, "outside" },
        { "/faults/items", "faults/other/1", null, "outside" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Resource_outside_the_subscription_is_refused_with_a_reason(string subscription, string resource, string? odataType, string reason)
    {
        var verdict = ResourceScope.Check(subscription, resource, odataType);

        Assert.False(verdict.IsWithin);
        Assert.Contains(reason, verdict.Reason, StringComparison.Ordinal);
    }
}
