using ChangeNotifications.Resources;
using ChangeNotifications.Subscriptions;

namespace ChangeNotifications.Tests.Security;

/// <summary>Outlook sends resource data only for <c>$select</c>ed properties: rich Outlook subscriptions get one.</summary>
public sealed class OutlookResourceDataSelectTests
{
    private const string User = "/users/5b0c9a6d-1e2f-4a3b-8c4d-9e0f1a2b3c4d";

    private static DesiredSubscription Desired(string resource, bool includeResourceData) =>
        DesiredSubscription.FromOptions(
            new SubscriptionsOptions
            {
                NotificationUrl = "https://example.test/api/notifications",
                Items = [new SubscriptionItemOptions { Resource = resource, ChangeType = "created,updated", IncludeResourceData = includeResourceData }],
            },
            new ResourceCatalog()).Single();

    [Theory]
    [InlineData(User + "/messages", User + "/messages?$select=id,subject,from,receivedDateTime,hasAttachments,importance,isRead")]
    [InlineData(User + "/mailFolders('inbox')/messages", User + "/mailFolders('inbox')/messages?$select=id,subject,from,receivedDateTime,hasAttachments,importance,isRead")]
    [InlineData(User + "/events", User + "/events?$select=id,subject,start,end,organizer,location,isCancelled")]
    [InlineData(User + "/contacts?", User + "/contacts?$select=id,displayName,emailAddresses,companyName")]
    public void Rich_outlook_subscription_without_select_gets_the_default_one(string configured, string expected)
    {
        var desired = Desired(configured, includeResourceData: true);

        Assert.Equal(expected, desired.Resource);
        Assert.Equal(DesiredSubscription.KeyFor(desired.Path, "created,updated"), desired.Key);
        Assert.True(desired.Matches(expected, "updated,created"));
    }

    [Fact]
    public void Configured_select_is_kept()
    {
        var desired = Desired(User + "/messages?$select=subject", includeResourceData: true);

        Assert.Equal(User + "/messages?$select=subject", desired.Resource);
    }

    [Theory]
    [InlineData(User + "/messages", false)]
    [InlineData("/chats/getAllMessages", true)]
    public void Basic_or_teams_subscription_is_left_as_configured(string resource, bool includeResourceData)
    {
        Assert.Equal(resource, Desired(resource, includeResourceData).Resource);
    }
}
