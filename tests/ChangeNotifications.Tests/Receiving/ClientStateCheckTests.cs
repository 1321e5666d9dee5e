using ChangeNotifications.Receiving;
using ChangeNotifications.Tests.Infrastructure;

namespace ChangeNotifications.Tests.Receiving;

public sealed class ClientStateCheckTests
{
    private readonly ClientStateCheck _check = new();

    [Fact]
    public void Same_client_state_matches_and_anything_else_does_not()
    {
        var subscription = new TestSubscriptionStore().Add("/me/messages", clientState: "state-0123456789");

        Assert.True(_check.Matches(subscription, "state-0123456789"));
        Assert.True(_check.Matches(subscription, new string("state-0123456789".AsSpan())));
        Assert.False(_check.Matches(subscription, "state-0123456788"));
        Assert.False(_check.Matches(subscription, "state-012345678"));
        Assert.False(_check.Matches(subscription, "State-0123456789"));
        Assert.False(_check.Matches(subscription, string.Empty));
        Assert.False(_check.Matches(subscription, null));
    }

    [Fact]
    public void A_record_with_a_new_client_state_is_checked_against_the_new_one()
    {
        var subscription = new TestSubscriptionStore().Add("/me/messages", clientState: "old-state");
        Assert.True(_check.Matches(subscription, "old-state"));

        var rotated = subscription with { ClientState = "new-state" };

        Assert.True(_check.Matches(rotated, "new-state"));
        Assert.False(_check.Matches(rotated, "old-state"));
        Assert.True(_check.Matches(subscription, "old-state"));
    }
}
