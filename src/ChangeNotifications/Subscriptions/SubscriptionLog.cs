using ChangeNotifications.Resources;

namespace ChangeNotifications.Subscriptions;

/// <summary>Log events of subscription management (ids 4000–4099, 7151 and 7300). clientState never appears.</summary>
internal static partial class SubscriptionLog
{
    public const int CreatedId = 4001;
    public const int RecreatedId = 4002;
    public const int RenewedId = 4003;
    public const int AdoptedId = 4004;
    public const int DeletedId = 4005;
    public const int ReauthorizedId = 4006;
    public const int ReauthorizationSkippedId = 4007;
    public const int OperationFailedId = 4008;
    public const int KeepsFailingId = 4009;
    public const int ListFailedId = 4010;
    public const int ResyncRequestedId = 4012;
    public const int NoResyncHandlerId = 4013;
    public const int ResyncFailedId = 4014;
    public const int OrphanReplacedId = 4015;
    public const int UnknownSubscriptionId = 4016;
    public const int RenewalDeferredId = 4017;
    public const int ReconcilerFailedId = 4018;
    public const int WaitingForAddressId = 4019;
    public const int AddressesId = 4020;
    public const int CertificateRotatedId = 4021;
    public const int CertificateRefusedId = 4022;
    public const int LeftToReconcilingInstanceId = 7300;
    public const int BaselineFailedId = 7151;

    [LoggerMessage(CreatedId, LogLevel.Information, "[{Key}] Subscription created for {Resource} ({ChangeType}): {GraphId}, expires {ExpiresAt:O}")]
    public static partial void Created(ILogger logger, string key, string resource, string changeType, Guid graphId, DateTimeOffset? expiresAt);

    [LoggerMessage(RecreatedId, LogLevel.Warning, "[{Key}] Subscription for {Resource} ({ChangeType}) recreated because {Reason}: {OldGraphId} -> {GraphId}, expires {ExpiresAt:O}")]
    public static partial void Recreated(ILogger logger, string key, string resource, string changeType, Guid? oldGraphId, Guid graphId, string reason, DateTimeOffset? expiresAt);

    [LoggerMessage(RenewedId, LogLevel.Information, "[{Key}] Subscription {GraphId} for {Resource} renewed until {ExpiresAt:O} (was {PreviousExpiresAt:O})")]
    public static partial void Renewed(ILogger logger, string key, string resource, Guid graphId, DateTimeOffset? expiresAt, DateTimeOffset? previousExpiresAt);

    [LoggerMessage(CertificateRotatedId, LogLevel.Information, "[{Key}] Subscription {GraphId} for {Resource} now encrypts resource data with certificate {CertificateId} (was {PreviousCertificateId})")]
    public static partial void CertificateRotated(ILogger logger, string key, string resource, Guid graphId, string certificateId, string previousCertificateId);

    [LoggerMessage(CertificateRefusedId, LogLevel.Warning, "[{Key}] Graph refused certificate {CertificateId} for subscription {GraphId} ({Reason}); renewed on the certificate it had")]
    public static partial void CertificateRefused(ILogger logger, string key, Guid graphId, string certificateId, string reason);

    [LoggerMessage(AdoptedId, LogLevel.Information, "[{Key}] Subscription {GraphId} found in Graph for {Resource} ({ChangeType}) adopted instead of creating a duplicate ({How})")]
    public static partial void Adopted(ILogger logger, string key, string resource, string changeType, Guid graphId, string how);

    [LoggerMessage(DeletedId, LogLevel.Information, "[{Key}] Subscription {GraphId} for {Resource} deleted: {Reason}")]
    public static partial void Deleted(ILogger logger, string? key, string? resource, Guid? graphId, string reason);

    [LoggerMessage(ReauthorizedId, LogLevel.Information, "[{Key}] Subscription {GraphId} for {Resource} reauthorized ({How})")]
    public static partial void Reauthorized(ILogger logger, string key, string resource, Guid graphId, string how);

    [LoggerMessage(ReauthorizationSkippedId, LogLevel.Information, "[{Key}] Reauthorization of {GraphId} skipped: last renewal or reauthorization at {LastAt:O}, within {Window} (Graph: never both within 10 minutes)")]
    public static partial void ReauthorizationSkipped(ILogger logger, string key, Guid graphId, DateTimeOffset lastAt, TimeSpan window);

    [LoggerMessage(OperationFailedId, LogLevel.Warning, "[{Key}] {Operation} of subscription for {Resource} ({ChangeType}) failed ({ConsecutiveFailures} in a row): {Reason}; next attempt at {RetryAt:O}")]
    public static partial void OperationFailed(ILogger logger, string key, string resource, string changeType, string operation, string reason, int consecutiveFailures, DateTimeOffset retryAt);

    [LoggerMessage(KeepsFailingId, LogLevel.Error, "[{Key}] Subscription for {Resource} ({ChangeType}) keeps failing: {Operation} failed {ConsecutiveFailures} times in a row, last: {Reason}; next attempt at {RetryAt:O}. Notifications for it may be lost until it recovers")]
    public static partial void KeepsFailing(ILogger logger, string key, string resource, string changeType, string operation, string reason, int consecutiveFailures, DateTimeOffset retryAt);

    [LoggerMessage(ListFailedId, LogLevel.Warning, "Listing subscriptions in Graph failed: {Reason}; carrying on with the store's view")]
    public static partial void ListFailed(ILogger logger, string reason);

    [LoggerMessage(ResyncRequestedId, LogLevel.Information, "[{Key}] Resync of {Resource} ({ResourceType}) requested: {Reason}")]
    public static partial void ResyncRequested(ILogger logger, string key, string resource, ResourceType resourceType, string reason);

    [LoggerMessage(NoResyncHandlerId, LogLevel.Warning, "[{Key}] No handler registered for {ResourceType}: resync of {Resource} ({Reason}) cannot run")]
    public static partial void NoResyncHandler(ILogger logger, string key, string resource, ResourceType resourceType, string reason);

    [LoggerMessage(ResyncFailedId, LogLevel.Warning, "[{Key}] Resync of {Resource} ({ResourceType}) failed; retried on the next reconcile")]
    public static partial void ResyncFailed(ILogger logger, Exception exception, string key, string resource, ResourceType resourceType);

    [LoggerMessage(BaselineFailedId, LogLevel.Warning, "[{Key}] Adopted subscription {GraphId} for {Resource}: its handler's baseline failed ({Reason}); the first notification takes it, and the change behind that one is not reported")]
    public static partial void BaselineFailed(ILogger logger, string key, string resource, Guid graphId, string reason);

    [LoggerMessage(OrphanReplacedId, LogLevel.Warning, "[{Key}] Subscription {GraphId} in Graph matches {Resource} ({ChangeType}) but its clientState is unknown to this service: replacing it")]
    public static partial void OrphanReplaced(ILogger logger, string key, string resource, string changeType, Guid graphId);

    [LoggerMessage(UnknownSubscriptionId, LogLevel.Warning, "Lifecycle event {LifecycleEvent} for subscription {GraphId}, which this service does not keep: ignored")]
    public static partial void UnknownSubscription(ILogger logger, string lifecycleEvent, Guid? graphId);

    [LoggerMessage(RenewalDeferredId, LogLevel.Information, "[{Key}] Renewal of {GraphId} deferred to {RenewAt:O}: reauthorized at {ReauthorizedAt:O}")]
    public static partial void RenewalDeferred(ILogger logger, string key, Guid graphId, DateTimeOffset renewAt, DateTimeOffset reauthorizedAt);

    [LoggerMessage(ReconcilerFailedId, LogLevel.Error, "Reconciling subscriptions failed; retrying at the next tick")]
    public static partial void ReconcilerFailed(ILogger logger, Exception exception);

    [LoggerMessage(WaitingForAddressId, LogLevel.Information, "No Subscriptions:NotificationUrl configured and the server has no address yet: subscriptions wait until it listens")]
    public static partial void WaitingForAddress(ILogger logger);

    [LoggerMessage(AddressesId, LogLevel.Information, "Subscriptions post to {NotificationUrl} and lifecycle events to {LifecycleNotificationUrl} ({Source})")]
    public static partial void Addresses(ILogger logger, string notificationUrl, string? lifecycleNotificationUrl, string source);

    [LoggerMessage(LeftToReconcilingInstanceId, LogLevel.Warning, "[{Key}] Lifecycle event {LifecycleEvent} for subscription {GraphId}: Subscriptions:Reconcile is false, so this instance creates, renews, reauthorizes and deletes nothing; left to the instance that reconciles")]
    public static partial void LeftToReconcilingInstance(ILogger logger, string lifecycleEvent, Guid graphId, string key);
}
