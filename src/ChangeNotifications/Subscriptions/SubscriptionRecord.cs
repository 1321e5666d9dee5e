namespace ChangeNotifications.Subscriptions;

/// <summary>
/// What the service knows of one subscription it keeps. <see cref="Key"/> names the desired subscription
/// (stable across recreations); <see cref="GraphId"/> is Graph's id of the current one. The clientState
/// is a secret: it is stored, compared in constant time, and never logged.
/// </summary>
public sealed record SubscriptionRecord
{
    public required string Key { get; init; }

    public required string Resource { get; init; }

    public required string ChangeType { get; init; }

    public required string ClientState { get; init; }

    public Guid? GraphId { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    public DateTimeOffset? CreatedAt { get; init; }

    public DateTimeOffset? LastRenewedAt { get; init; }

    public DateTimeOffset? LastReauthorizedAt { get; init; }

    public DateTimeOffset? LastNotificationAt { get; init; }

    public string? FailureReason { get; init; }

    public int ConsecutiveFailures { get; init; }

    public bool IncludeResourceData { get; init; }

    public string? EncryptionCertificateId { get; init; }

    /// <summary>Why the resource's handler still owes a resync (set after <c>subscriptionRemoved</c> until recreated and resynced).</summary>
    public string? PendingResyncReason { get; init; }

    /// <summary>Never print the clientState, even by accident through a record's generated ToString.</summary>
    public override string ToString() =>
        $"Subscription {{ Key = {Key}, GraphId = {GraphId}, Resource = {Resource}, ChangeType = {ChangeType}, ExpiresAt = {ExpiresAt:O} }}";
}
