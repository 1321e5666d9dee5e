using ChangeNotifications.Dispatching;

namespace ChangeNotifications.Subscriptions;

/// <summary>
/// What the service knows of one subscription it keeps. <see cref="Key"/> names the desired subscription
/// (stable across recreations); <see cref="GraphId"/> is Graph's id of the current one. The clientState
/// is a secret: it is stored, compared in constant time, and never logged.
/// </summary>
internal sealed record SubscriptionRecord
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

    /// <summary>A <c>reauthorizationRequired</c> event not yet answered (kept until a reauthorize or renewal succeeds).</summary>
    public bool ReauthorizationPending { get; init; }

    /// <summary>Why the subscription is being recreated, until the new one exists (null when no recreation is under way).</summary>
    public string? RecreateReason { get; init; }

    /// <summary>Graph's id of the subscription being replaced by the recreation under way.</summary>
    public Guid? RecreatingGraphId { get; init; }

    /// <summary>An operator asked for a renewal: the next pass renews whether or not it is due (kept until a renewal or
    /// recreation succeeds).</summary>
    public bool RenewRequested { get; init; }

    /// <summary>Not to be tried before this moment (backoff or Retry-After after a failure, or a deferred renewal).</summary>
    public DateTimeOffset? NextAttemptAt { get; init; }

    /// <summary>What handlers may see of this subscription: everything they use, never the clientState.</summary>
    public SubscriptionView ToView() => new()
    {
        Key = Key,
        Resource = Resource,
        ChangeType = ChangeType,
        GraphId = GraphId,
        ExpiresAt = ExpiresAt,
        IncludeResourceData = IncludeResourceData,
    };

    /// <summary>Never print the clientState, even by accident through a record's generated ToString.</summary>
    public override string ToString() =>
        $"Subscription {{ Key = {Key}, GraphId = {GraphId}, Resource = {Resource}, ChangeType = {ChangeType}, ExpiresAt = {ExpiresAt:O} }}";
}
