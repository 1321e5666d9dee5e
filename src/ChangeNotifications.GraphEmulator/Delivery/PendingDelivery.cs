using System.Text.Json.Nodes;

namespace ChangeNotifications.GraphEmulator.Delivery;

/// <summary>One notification item on its way to a URL: a change (<c>changeType</c>) or a lifecycle event.</summary>
internal sealed record OutgoingNotification(Guid SubscriptionId, JsonObject Item, bool IsLifecycle, bool IsRich)
{
    /// <summary>Set once the item was held back because its subscription's endpoint token had run out.</summary>
    public bool WasWithheld { get; set; }
}

/// <summary>A POST to come: items for one URL, due at <see cref="DueAt"/>, after <see cref="Attempts"/> failed tries.</summary>
internal sealed class PendingDelivery(Uri url, List<OutgoingNotification> items, DateTimeOffset queuedAt, DateTimeOffset dueAt)
{
    public Uri Url { get; } = url;

    public List<OutgoingNotification> Items { get; } = items;

    public DateTimeOffset QueuedAt { get; } = queuedAt;

    public DateTimeOffset DueAt { get; set; } = dueAt;

    public int Attempts { get; set; }
}
