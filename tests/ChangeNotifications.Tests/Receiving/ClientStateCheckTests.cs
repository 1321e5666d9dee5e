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

    [Fact]
    public void Padding_does_not_make_a_shorter_or_longer_value_match()
    {
        var subscription = new TestSubscriptionStore().Add("/me/messages", clientState: "state");

        // A value that differs only by trailing NULs or one character less is another value: its length differs.
        Assert.False(_check.Matches(subscription, "state\0"));
        Assert.False(_check.Matches(subscription, "state\0\0\0"));
        Assert.False(_check.Matches(subscription, "stat"));
    }

    [Fact]
    public void A_received_value_wider_than_the_padding_is_refused_and_a_stored_one_that_wide_still_matches()
    {
        var usual = new TestSubscriptionStore().Add("/me/messages", clientState: "state");
        Assert.False(_check.Matches(usual, new string('s', ClientStateCheck.Width + 1)));
        Assert.False(_check.Matches(usual, "state" + new string('\0', ClientStateCheck.Width)));

        var wide = new string('w', ClientStateCheck.Width + 40);
        var wideSubscription = new TestSubscriptionStore().Add("/me/events", clientState: wide);
        Assert.True(_check.Matches(wideSubscription, new string(wide.AsSpan())));
        Assert.False(_check.Matches(wideSubscription, wide[..^1] + "x"));
        Assert.False(_check.Matches(wideSubscription, wide + "w"));
    }

    [Fact]
    public void Characters_outside_ascii_are_compared_as_utf8()
    {
        // 128 characters of 4 UTF-8 bytes each: exactly the padded width.
        var widest = string.Concat(Enumerable.Repeat("\U0001F600", 128));
        var subscription = new TestSubscriptionStore().Add("/me/messages", clientState: "état-" + widest);
        var exact = new TestSubscriptionStore().Add("/me/events", clientState: widest);

        Assert.True(_check.Matches(subscription, "état-" + widest));
        Assert.False(_check.Matches(subscription, "etat-" + widest));
        Assert.True(_check.Matches(exact, new string(widest.AsSpan())));
        Assert.False(_check.Matches(exact, widest[..^2] + "\U0001F601"));
    }
}
