using ChangeNotifications.GraphEmulator.Tenant;

namespace ChangeNotifications.Tests.Subscriptions;

/// <summary>One subscription per row of Graph's table (14), on ids the emulator seeds.</summary>
internal static class SubscriptionTestPaths
{
    public static readonly (string Row, string Resource, string ChangeType)[] AllFourteen =
    [
        ("Printer", $"/print/printers/{SeedIds.PrinterId}/jobs", "updated"),
        ("PrintTaskDefinition", $"/print/taskDefinitions/{SeedIds.PrintTaskDefinitionId}/tasks", "created"),
        ("Message", $"/users/{SeedIds.UserId}/messages", "created,updated,deleted"),
        ("Event", $"/users/{SeedIds.UserId}/events", "created,updated,deleted"),
        ("Contact", $"/users/{SeedIds.UserId}/contacts", "created,updated,deleted"),
        ("User", "/users", "updated,deleted"),
        ("Group", $"/groups/{SeedIds.GroupId}", "updated,deleted"),
        ("Conversation", $"/groups/{SeedIds.GroupId}/conversations", "created"),
        ("DriveItemPersonal", $"/users/{SeedIds.UserId}/drive/root", "updated"),
        ("DriveItemBusiness", $"/drives/{SeedIds.DriveId}/root", "updated"),
        ("List", $"/sites/{SeedIds.SiteId}/lists/{SeedIds.ListId}", "updated"),
        ("Alert", "/security/alerts", "updated"),
        ("CallRecord", "/communications/callRecords", "created"),
        ("ChatMessage", $"/teams/{SeedIds.TeamId}/channels/{SeedIds.ChannelId}/messages", "created,updated"),
    ];
}
