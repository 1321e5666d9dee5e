namespace ChangeNotifications.Dispatching;

/// <summary>
/// What a handler may know of the subscription a notification came through. It has no clientState: that secret
/// stays with the receiver and the subscription manager, so no handler (a third-party one included) can leak it.
/// </summary>
public sealed record SubscriptionView
{
    /// <summary>The name of the desired subscription, stable across recreations.</summary>
    public required string Key { get; init; }

    /// <summary>The resource the subscription covers, as sent to Graph.</summary>
    public required string Resource { get; init; }

    /// <summary>The change types it asks for, comma-separated (e.g. <c>created,updated</c>).</summary>
    public required string ChangeType { get; init; }

    /// <summary>Graph's id of the current subscription.</summary>
    public Guid? GraphId { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>Whether notifications carry the (encrypted) resource.</summary>
    public bool IncludeResourceData { get; init; }
}
