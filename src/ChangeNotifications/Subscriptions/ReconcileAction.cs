using Microsoft.Graph.Models;

namespace ChangeNotifications.Subscriptions;

/// <summary>One step the planner asks of the operations; a pass carries them out in order.</summary>
internal abstract record ReconcileAction;

/// <summary>The subscription waits out a backoff, Retry-After or deferred renewal: nothing is tried before <paramref name="Until"/>.</summary>
internal sealed record WaitAction(DesiredSubscription Desired, SubscriptionRecord Record, DateTimeOffset Until) : ReconcileAction;

/// <summary>Graph reports another expiry than the store holds: <paramref name="Record"/> carries Graph's, to be stored.</summary>
internal sealed record UpdateExpiryAction(SubscriptionRecord Record) : ReconcileAction;

/// <summary>No subscription in Graph and none to adopt: create one (with the handler's baseline first).</summary>
internal sealed record CreateAction(DesiredSubscription Desired, SubscriptionRecord? Record) : ReconcileAction;

/// <summary>A matching subscription of ours whose clientState no record knows: delete it, then create a fresh one.</summary>
internal sealed record ReplaceOrphanAction(DesiredSubscription Desired, Guid OrphanId) : ReconcileAction;

/// <summary>A matching subscription of ours that the record's pending create made: take it over.</summary>
internal sealed record AdoptAction(DesiredSubscription Desired, SubscriptionRecord Record, Guid GraphId, Subscription InGraph) : ReconcileAction;

/// <summary>The subscription is gone, expired or removed: delete what is left and create a new one.</summary>
internal sealed record RecreateAction(DesiredSubscription Desired, SubscriptionRecord Record, string Reason) : ReconcileAction;

/// <summary>A <c>reauthorizationRequired</c> is still to be answered; a renewal follows when due.</summary>
internal sealed record ReauthorizeAction(DesiredSubscription Desired, SubscriptionRecord Record) : ReconcileAction;

/// <summary>The renewal point has passed: PATCH a new expiry (rotating the encryption certificate when newer).</summary>
internal sealed record RenewAction(DesiredSubscription Desired, SubscriptionRecord Record) : ReconcileAction;

/// <summary>Renewal is due, but a reauthorize happened within Graph's separation: renew at <paramref name="RenewAt"/>.</summary>
internal sealed record DeferRenewalAction(DesiredSubscription Desired, SubscriptionRecord Record, DateTimeOffset RenewAt, DateTimeOffset Due) : ReconcileAction;

/// <summary>Nothing due: publish it as active (running a resync still owed).</summary>
internal sealed record KeepAction(DesiredSubscription Desired, SubscriptionRecord Record) : ReconcileAction;

/// <summary>A stored subscription no longer configured: delete it from Graph, then from the store.</summary>
internal sealed record DeleteAction(SubscriptionRecord Record) : ReconcileAction;

/// <summary>A subscription of ours in Graph that nothing configured or stored accounts for: delete it.</summary>
internal sealed record DeleteStrayAction(Guid GraphId, Subscription InGraph) : ReconcileAction;
