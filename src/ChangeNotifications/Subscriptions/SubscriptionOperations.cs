using ChangeNotifications.Graph;
using Microsoft.Extensions.Options;
using Microsoft.Graph.Models;

namespace ChangeNotifications.Subscriptions;

/// <summary>The moment and addresses one reconcile pass (or lifecycle reaction) works with.</summary>
internal sealed record ReconcilePass(DateTimeOffset Now, string NotificationUrl, string? LifecycleNotificationUrl);

/// <summary>
/// Carries out the planner's actions against Graph and the store: create (baseline first, certificate for rich
/// ones), adopt, renew (with certificate rotation), reauthorize, recreate, delete. A failure is recorded on the
/// subscription's record with its backoff and never stops the other subscriptions.
/// </summary>
internal sealed class SubscriptionOperations(
    GraphSubscriptionsClient graph,
    ISubscriptionStore store,
    SubscriptionStateBoard board,
    ResyncRequester resync,
    SubscriptionPlanner planner,
    IOptions<SubscriptionsOptions> options,
    IEnumerable<ISubscriptionEncryptionCertificateSource> certificates,
    ILogger<SubscriptionReconciler> logger)
{
    private readonly SubscriptionsOptions _options = options.Value;
    private readonly ISubscriptionEncryptionCertificateSource? _certificates = certificates.LastOrDefault();

    private enum RenewPurpose
    {
        Schedule = 0,
        Reauthorization = 1,
    }

    public async Task ExecuteAsync(ReconcileAction action, ReconcilePass pass, CancellationToken ct)
    {
        switch (action)
        {
            case WaitAction wait:
                if (board.Find(wait.Record.Key) is null)
                {
                    // After a restart: show the subscription and wake the loop when its wait ends.
                    board.Update(wait.Record, wait.Record.FailureReason is null ? SubscriptionState.Active : SubscriptionState.Failing, wait.Until, null);
                }

                break;
            case UpdateExpiryAction update:
                await store.UpsertAsync(update.Record, ct);
                break;
            case CreateAction create:
                await CreateAsync(create.Desired, create.Record, pass, ct);
                break;
            case ReplaceOrphanAction orphan:
                await ReplaceOrphanAsync(orphan.Desired, orphan.OrphanId, pass, ct);
                break;
            case AdoptAction adopt:
                await AdoptAsync(adopt.Desired, adopt.Record, adopt.GraphId, adopt.InGraph, "found in GET /subscriptions", pass, ct);
                break;
            case RecreateAction recreate:
                await RecreateAsync(recreate.Desired, recreate.Record, recreate.Reason, pass, ct);
                break;
            case ReauthorizeAction reauthorize:
                if (await ReauthorizeAsync(reauthorize.Desired, reauthorize.Record, pass, ct) is { } afterwards)
                {
                    await ExecuteAsync(planner.RenewalStep(reauthorize.Desired, afterwards, pass.Now), pass, ct);
                }

                break;
            case RenewAction renew:
                await RenewAsync(renew.Desired, renew.Record, RenewPurpose.Schedule, pass, ct);
                break;
            case DeferRenewalAction defer:
                await DeferRenewalAsync(defer, ct);
                break;
            case KeepAction keep:
                await MarkActiveAsync(keep.Desired, keep.Record, ct);
                break;
            case DeleteAction delete:
                await DeleteAsync(delete.Record, pass, ct);
                break;
            case DeleteStrayAction stray:
                await DeleteStrayAsync(stray.GraphId, stray.InGraph, pass, ct);
                break;
            default:
                throw new InvalidOperationException($"No operation for {action.GetType().Name}.");
        }
    }

    /// <summary>
    /// Answers a pending reauthorization: POST reauthorize, or a renewal when one is due anyway; never one within
    /// Graph's separation of the other. Null when the subscription failed or is being recreated.
    /// </summary>
    public async Task<SubscriptionRecord?> ReauthorizeAsync(DesiredSubscription desired, SubscriptionRecord record, ReconcilePass pass, CancellationToken ct)
    {
        var id = record.GraphId!.Value;
        var (choice, lastAt) = planner.ReauthorizeStep(desired, record, pass.Now);
        switch (choice)
        {
            case ReauthorizeChoice.AlreadyDone:
                record = record with { ReauthorizationPending = false };
                await store.UpsertAsync(record, ct);
                SubscriptionLog.ReauthorizationSkipped(logger, desired.Key, id, lastAt!.Value, SubscriptionPlanner.ReauthorizeRenewSeparation);
                return record;
            case ReauthorizeChoice.RenewInstead:
                return await RenewAsync(desired, record, RenewPurpose.Reauthorization, pass, ct);
        }

        var (_, failure) = await CallAsync(async () => { await graph.ReauthorizeAsync(id, ct); return true; }, ct);
        if (failure is { IsNotFound: true })
        {
            await RecreateAsync(desired, record, "reauthorize answered 404", pass, ct);
            return null;
        }

        if (failure is not null)
        {
            await RecordFailureAsync(desired, record, "Reauthorize", failure, pass.Now, ct);
            return null;
        }

        var updated = record with { LastReauthorizedAt = pass.Now, ReauthorizationPending = false, FailureReason = null, ConsecutiveFailures = 0, NextAttemptAt = null };
        await store.UpsertAsync(updated, ct);
        SubscriptionLog.Reauthorized(logger, desired.Key, desired.Resource, id, "reauthorize");
        return await MarkActiveAsync(desired, updated, ct);
    }

    /// <summary>Replaces the subscription: deletes what is left of it (housekeeping only), then creates a fresh one.</summary>
    public async Task RecreateAsync(DesiredSubscription desired, SubscriptionRecord record, string reason, ReconcilePass pass, CancellationToken ct)
    {
        var oldId = record.GraphId;
        if (oldId is { } id)
        {
            // Graph says it is gone or expired: deleting is housekeeping only (so a stale one is never adopted back),
            // and a failure here must not hold up the recreation.
            await CallAsync(async () => { await graph.DeleteAsync(id, ct); return true; }, ct);
        }

        // A fresh subscription gets a fresh clientState; it is stored before the create so that a create Graph
        // completed but we never heard of can be adopted later. The recreation stays on the record until it succeeds.
        var pending = record with
        {
            GraphId = null,
            ClientState = ClientStateGenerator.Create(),
            ExpiresAt = null,
            LastRenewedAt = null,
            LastReauthorizedAt = null,
            ReauthorizationPending = false,
            RecreateReason = reason,
            RecreatingGraphId = oldId,
        };
        await store.UpsertAsync(pending, ct);
        await CreateAsync(desired, pending, pass, ct);
    }

    /// <summary>Publishes the subscription as active, after running a resync still owed (after subscriptionRemoved).</summary>
    public async Task<SubscriptionRecord> MarkActiveAsync(DesiredSubscription desired, SubscriptionRecord record, CancellationToken ct)
    {
        if (record.PendingResyncReason is { } reason)
        {
            try
            {
                await resync.ResyncAsync(record, reason, ct);
                record = record with { PendingResyncReason = null };
                await store.UpsertAsync(record, ct);
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                SubscriptionLog.ResyncFailed(logger, exception, record.Key, record.Resource, desired.Entry.ResourceType);
            }
        }

        if (record.NextAttemptAt is not null)
        {
            // It is active again: a wait left from an earlier failure no longer applies.
            record = record with { NextAttemptAt = null };
            await store.UpsertAsync(record, ct);
        }

        board.Update(record, SubscriptionState.Active, null, planner.RenewalDue(desired, record));
        return record;
    }

    private async Task CreateAsync(DesiredSubscription desired, SubscriptionRecord? record, ReconcilePass pass, CancellationToken ct)
    {
        var now = pass.Now;
        var pending = record is { GraphId: null, ClientState.Length: > 0 }
            ? record with { Resource = desired.Resource, ChangeType = desired.ChangeType, IncludeResourceData = desired.IncludeResourceData }
            : (record ?? NewRecord(desired)) with { GraphId = null, ClientState = ClientStateGenerator.Create(), ExpiresAt = null };
        if (pending != record)
        {
            await store.UpsertAsync(pending, ct);
        }

        // Before Graph can notify: the handler's baseline (a delta link), so the first notification's change is reported.
        var (_, baselineFailure) = await CallAsync(async () => { await resync.PrepareAsync(desired.Resource, ct); return true; }, ct);
        if (baselineFailure is not null)
        {
            await RecordFailureAsync(desired, pending, "Baseline", baselineFailure, now, ct);
            return;
        }

        var expiration = planner.ExpirationFor(desired, now);
        var subscription = new Subscription
        {
            Resource = desired.Resource,
            ChangeType = desired.ChangeType,
            NotificationUrl = pass.NotificationUrl,
            LifecycleNotificationUrl = pass.LifecycleNotificationUrl,
            ExpirationDateTime = expiration,
            ClientState = pending.ClientState,
            NotificationQueryOptions = desired.NotificationQueryOptions,
        };

        string? certificateId = null;
        if (desired.IncludeResourceData)
        {
            if (_certificates?.Current is not { } certificate)
            {
                await RecordFailureAsync(desired, pending, "Create", new GraphFailure(null, "configuration", "includeResourceData needs an encryption certificate and none is configured.", null), now, ct);
                return;
            }

            subscription.IncludeResourceData = true;
            certificate.ApplyTo(subscription);
            certificateId = certificate.Id;
        }

        var (created, failure) = await CallAsync(() => graph.CreateAsync(subscription, ct), ct);
        if (failure is { IsConflict: true })
        {
            // Graph already has this resource + changeType for us: most likely our own create that we never heard back from.
            var fresh = await ListGraphAsync(pass, ct);
            if (fresh.FindAdoptable(desired, now) is { } existing)
            {
                await AdoptAsync(desired, pending, existing.Id, existing.Subscription, "409 on create", pass, ct);
                return;
            }
        }

        if (failure is not null || created is null || !Guid.TryParse(created.Id, out var graphId))
        {
            await RecordFailureAsync(desired, pending, "Create", failure ?? new GraphFailure(null, "invalid", "Graph answered without a subscription id.", null), now, ct);
            return;
        }

        var active = pending with
        {
            GraphId = graphId,
            ExpiresAt = created.ExpirationDateTime ?? expiration,
            CreatedAt = now,
            LastRenewedAt = null,
            LastReauthorizedAt = null,
            FailureReason = null,
            ConsecutiveFailures = 0,
            EncryptionCertificateId = certificateId,
            RecreateReason = null,
            RecreatingGraphId = null,
            NextAttemptAt = null,
            RenewRequested = false,
        };
        await store.UpsertAsync(active, ct);
        if (pending.RecreateReason is { } reason)
        {
            SubscriptionLog.Recreated(logger, desired.Key, desired.Resource, desired.ChangeType, pending.RecreatingGraphId, graphId, reason, active.ExpiresAt);
        }
        else
        {
            SubscriptionLog.Created(logger, desired.Key, desired.Resource, desired.ChangeType, graphId, active.ExpiresAt);
        }

        await MarkActiveAsync(desired, active, ct);
    }

    private async Task ReplaceOrphanAsync(DesiredSubscription desired, Guid orphanId, ReconcilePass pass, CancellationToken ct)
    {
        SubscriptionLog.OrphanReplaced(logger, desired.Key, desired.Resource, desired.ChangeType, orphanId);
        var (_, deleteFailure) = await CallAsync(async () => { await graph.DeleteAsync(orphanId, ct); return true; }, ct);
        if (deleteFailure is not null)
        {
            await RecordFailureAsync(desired, NewRecord(desired), "Replace", deleteFailure, pass.Now, ct);
            return;
        }

        await CreateAsync(desired, record: null, pass, ct);
    }

    private async Task AdoptAsync(DesiredSubscription desired, SubscriptionRecord record, Guid graphId, Subscription inGraph, string how, ReconcilePass pass, CancellationToken ct)
    {
        var adopted = record with
        {
            GraphId = graphId,
            ExpiresAt = inGraph.ExpirationDateTime,
            CreatedAt = record.CreatedAt ?? pass.Now,
            FailureReason = null,
            ConsecutiveFailures = 0,
            EncryptionCertificateId = inGraph.EncryptionCertificateId ?? record.EncryptionCertificateId,
            RecreateReason = null,
            RecreatingGraphId = null,
            NextAttemptAt = null,
        };
        await store.UpsertAsync(adopted, ct);
        SubscriptionLog.Adopted(logger, desired.Key, desired.Resource, desired.ChangeType, graphId, how);

        // It may notify already: take the baseline now if none is kept. A failure leaves the first notification to take it.
        var (_, baselineFailure) = await CallAsync(async () => { await resync.PrepareAsync(desired.Resource, ct); return true; }, ct);
        if (baselineFailure is not null)
        {
            SubscriptionLog.BaselineFailed(logger, desired.Key, desired.Resource, graphId, baselineFailure.Reason);
        }

        adopted = await MarkActiveAsync(desired, adopted, ct);
        await ExecuteAsync(planner.RenewalStep(desired, adopted, pass.Now), pass, ct);
    }

    private async Task DeferRenewalAsync(DeferRenewalAction defer, CancellationToken ct)
    {
        var record = defer.Record with { NextAttemptAt = defer.RenewAt };
        await store.UpsertAsync(record, ct);
        SubscriptionLog.RenewalDeferred(logger, defer.Desired.Key, record.GraphId!.Value, defer.RenewAt, record.LastReauthorizedAt!.Value);
        board.Update(record, SubscriptionState.Active, defer.RenewAt, defer.Due);
    }

    private async Task<SubscriptionRecord?> RenewAsync(DesiredSubscription desired, SubscriptionRecord record, RenewPurpose purpose, ReconcilePass pass, CancellationToken ct)
    {
        var now = pass.Now;
        var id = record.GraphId!.Value;
        var expiration = planner.ExpirationFor(desired, now);
        var rotateTo = CertificateToRotateTo(desired, record);
        var (renewed, failure) = await CallAsync(() => graph.RenewAsync(id, expiration, rotateTo, ct), ct);
        if (rotateTo is not null && failure is { IsBadRequest: true })
        {
            // Graph refused the new certificate: renew on the old one rather than let the subscription lapse.
            SubscriptionLog.CertificateRefused(logger, desired.Key, id, rotateTo.Id, failure.Reason);
            rotateTo = null;
            (renewed, failure) = await CallAsync(() => graph.RenewAsync(id, expiration, null, ct), ct);
        }

        if (failure is { IsNotFound: true })
        {
            await RecreateAsync(desired, record, "renewal answered 404", pass, ct);
            return null;
        }

        if (failure is not null)
        {
            await RecordFailureAsync(desired, record, purpose == RenewPurpose.Schedule ? "Renew" : "Reauthorize (renew)", failure, now, ct);
            return null;
        }

        var updated = record with
        {
            ExpiresAt = renewed?.ExpirationDateTime ?? expiration,
            LastRenewedAt = now,
            ReauthorizationPending = false,
            RenewRequested = false,
            FailureReason = null,
            ConsecutiveFailures = 0,
            NextAttemptAt = null,
            EncryptionCertificateId = rotateTo?.Id ?? record.EncryptionCertificateId,
        };
        await store.UpsertAsync(updated, ct);
        if (rotateTo is not null)
        {
            SubscriptionLog.CertificateRotated(logger, desired.Key, desired.Resource, id, rotateTo.Id, record.EncryptionCertificateId!);
        }

        if (purpose == RenewPurpose.Schedule)
        {
            SubscriptionLog.Renewed(logger, desired.Key, desired.Resource, id, updated.ExpiresAt, record.ExpiresAt);
        }
        else
        {
            SubscriptionLog.Reauthorized(logger, desired.Key, desired.Resource, id, "by renewal, which was due");
        }

        return await MarkActiveAsync(desired, updated, ct);
    }

    /// <summary>
    /// The newest certificate, when a rich subscription still has Graph encrypt with an older one: a renewal PATCHes it
    /// along (rotation), so the older one's private key can be retired once its last notifications are in.
    /// </summary>
    private SubscriptionEncryptionCertificate? CertificateToRotateTo(DesiredSubscription desired, SubscriptionRecord record) =>
        desired.IncludeResourceData
        && record.EncryptionCertificateId is { } inUse
        && _certificates?.Current is { } current
        && !string.Equals(current.Id, inUse, StringComparison.Ordinal)
            ? current
            : null;

    private async Task DeleteAsync(SubscriptionRecord record, ReconcilePass pass, CancellationToken ct)
    {
        if (record.GraphId is { } id)
        {
            var (_, failure) = await CallAsync(async () => { await graph.DeleteAsync(id, ct); return true; }, ct);
            if (failure is not null)
            {
                SubscriptionLog.OperationFailed(logger, record.Key, record.Resource, record.ChangeType, "Delete", failure.Reason, record.ConsecutiveFailures + 1, pass.Now + _options.ReconcileInterval);
                return;
            }
        }

        await store.DeleteAsync(record.Key, ct);
        board.Remove(record.Key);
        SubscriptionLog.Deleted(logger, record.Key, record.Resource, record.GraphId, "no longer configured");
    }

    private async Task DeleteStrayAsync(Guid id, Subscription subscription, ReconcilePass pass, CancellationToken ct)
    {
        var (_, failure) = await CallAsync(async () => { await graph.DeleteAsync(id, ct); return true; }, ct);
        if (failure is null)
        {
            SubscriptionLog.Deleted(logger, null, subscription.Resource, id, "not configured (found in GET /subscriptions)");
        }
        else
        {
            SubscriptionLog.OperationFailed(logger, "-", subscription.Resource ?? "?", subscription.ChangeType ?? "?", "Delete", failure.Reason, 1, pass.Now + _options.ReconcileInterval);
        }
    }

    private async Task RecordFailureAsync(DesiredSubscription desired, SubscriptionRecord record, string operation, GraphFailure failure, DateTimeOffset now, CancellationToken ct)
    {
        var failures = record.ConsecutiveFailures + 1;
        var delay = RetryBackoff.Delay(failures, _options.RetryBaseDelay, _options.RetryMaxDelay, failure.RetryAfter, Random.Shared.NextDouble());
        var retryAt = now + delay;
        var failed = record with { FailureReason = $"{operation}: {failure.Reason}", ConsecutiveFailures = failures, NextAttemptAt = retryAt };
        await store.UpsertAsync(failed, ct);
        board.Update(failed, SubscriptionState.Failing, retryAt, null);
        if (failures >= SubscriptionReconciler.KeepsFailingThreshold)
        {
            SubscriptionLog.KeepsFailing(logger, desired.Key, desired.Resource, desired.ChangeType, operation, failure.Reason, failures, retryAt);
        }
        else
        {
            SubscriptionLog.OperationFailed(logger, desired.Key, desired.Resource, desired.ChangeType, operation, failure.Reason, failures, retryAt);
        }
    }

    /// <summary><c>GET /subscriptions</c> as a view; an unknown view (the list failed) when Graph does not answer.</summary>
    public async Task<GraphSubscriptionsView> ListGraphAsync(ReconcilePass pass, CancellationToken ct)
    {
        var (list, failure) = await CallAsync(() => graph.ListAllAsync(ct), ct);
        if (failure is not null)
        {
            SubscriptionLog.ListFailed(logger, failure.Reason);
        }

        return new GraphSubscriptionsView(list, pass.NotificationUrl);
    }

    private static SubscriptionRecord NewRecord(DesiredSubscription desired) => new()
    {
        Key = desired.Key,
        Resource = desired.Resource,
        ChangeType = desired.ChangeType,
        ClientState = ClientStateGenerator.Create(),
        IncludeResourceData = desired.IncludeResourceData,
    };

    private static async Task<(T? Value, GraphFailure? Failure)> CallAsync<T>(Func<Task<T>> call, CancellationToken ct)
    {
        try
        {
            return (await call(), null);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return (default, GraphFailure.From(exception));
        }
    }
}
