using System.Collections.Concurrent;
using ChangeNotifications.Resources;
using Microsoft.Extensions.Options;
using Microsoft.Graph.Models;

namespace ChangeNotifications.Subscriptions;

/// <summary>
/// Keeps every configured subscription alive: on start, on a timer (<see cref="SubscriptionsOptions.ReconcileInterval"/>,
/// or sooner when a renewal or retry is due) and on lifecycle events, it compares the desired subscriptions, the
/// store and <c>GET /subscriptions</c>; adopts matching ones instead of duplicating them, creates missing ones,
/// renews before expiry, recreates after 404 / expiry / removal, deletes ones no longer configured (only those
/// posting to our notificationUrl). Failures are retried per subscription with backoff and Retry-After; one
/// failing subscription never stops the others. Tests call <see cref="ReconcileOnceAsync"/> and move a FakeTimeProvider.
/// </summary>
public sealed class SubscriptionReconciler : BackgroundService
{
    /// <summary>Graph: never a reauthorize and a PATCH within 10 minutes of each other.</summary>
    public static readonly TimeSpan ReauthorizeRenewSeparation = TimeSpan.FromMinutes(10);

    /// <summary>From this many consecutive failures on, a subscription's failures are logged as errors.</summary>
    public const int KeepsFailingThreshold = 5;

    private readonly GraphSubscriptionsClient _graph;
    private readonly ISubscriptionStore _store;
    private readonly SubscriptionStateBoard _board;
    private readonly ResyncRequester _resync;
    private readonly ISubscriptionEncryptionCertificateSource? _certificates;
    private readonly TimeProvider _time;
    private readonly ILogger<SubscriptionReconciler> _logger;
    private readonly SubscriptionsOptions _options;
    private readonly NotificationAddresses _addresses;
    private readonly IHostApplicationLifetime? _lifetime;
    private string _notificationUrl = string.Empty;
    private string? _lifecycleUrl;
    private bool _waitingLogged;
    private readonly Dictionary<string, DesiredSubscription> _desired;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ConcurrentDictionary<string, (Guid? OldGraphId, string Reason)> _recreating = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _reauthorizationPending = new(StringComparer.Ordinal);
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public SubscriptionReconciler(
        GraphSubscriptionsClient graph,
        ISubscriptionStore store,
        SubscriptionStateBoard board,
        ResyncRequester resync,
        IOptions<SubscriptionsOptions> options,
        ResourceCatalog catalog,
        TimeProvider time,
        ILogger<SubscriptionReconciler> logger,
        IEnumerable<ISubscriptionEncryptionCertificateSource> certificates,
        NotificationAddresses addresses,
        IHostApplicationLifetime? lifetime = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(certificates);
        _graph = graph;
        _store = store;
        _board = board;
        _resync = resync;
        _time = time;
        _logger = logger;
        _options = options.Value;
        _certificates = certificates.LastOrDefault();
        _addresses = addresses;
        _lifetime = lifetime;
        _desired = DesiredSubscription.FromOptions(_options, catalog).ToDictionary(d => d.Key, StringComparer.Ordinal);
    }

    public IReadOnlyCollection<DesiredSubscription> Desired => _desired.Values;

    /// <summary>Wakes the background loop now (after a lifecycle event that left work behind).</summary>
    public void RequestReconcile() => _wake.TrySetResult();

    /// <summary>One pass over every subscription: adopt, create, renew, recreate, retry, delete.</summary>
    public async Task ReconcileOnceAsync(CancellationToken cancellationToken)
    {
        if (!ResolveAddresses())
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            var now = _time.GetUtcNow();
            var stored = (await _store.ListAsync(cancellationToken)).ToDictionary(r => r.Key, StringComparer.Ordinal);
            var view = await ListGraphAsync(cancellationToken);
            foreach (var record in stored.Values)
            {
                if (record.GraphId is { } id && _desired.ContainsKey(record.Key))
                {
                    view.Claim(id);
                }
            }

            foreach (var desired in _desired.Values)
            {
                stored.TryGetValue(desired.Key, out var record);
                if (_board.IsBackingOff(desired.Key, now))
                {
                    continue;
                }

                await ReconcileOneAsync(desired, record, view, now, cancellationToken);
            }

            await RemoveUndesiredAsync(stored.Values, view, now, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// <c>reauthorizationRequired</c>: POST reauthorize, or a PATCH renewal when renewal is due anyway; never one
    /// within 10 minutes of the other (a duplicate event inside that window is skipped).
    /// </summary>
    public Task ReauthorizeAsync(Guid graphId, CancellationToken cancellationToken) =>
        OnKeptSubscriptionAsync(graphId, "reauthorizationRequired", async (desired, record) =>
        {
            _reauthorizationPending[record.Key] = true;
            await ReauthorizeCoreAsync(desired, record, _time.GetUtcNow(), cancellationToken);
        }, cancellationToken);

    /// <summary><c>subscriptionRemoved</c>: recreate now (retried with backoff until access returns), then resync.</summary>
    public async Task RecreateAfterRemovalAsync(Guid graphId, CancellationToken cancellationToken)
    {
        await OnKeptSubscriptionAsync(graphId, "subscriptionRemoved", async (desired, record) =>
        {
            record = record with { PendingResyncReason = "subscriptionRemoved" };
            await _store.UpsertAsync(record, cancellationToken);
            await RecreateAsync(desired, record, "Graph removed it (subscriptionRemoved)", _time.GetUtcNow(), cancellationToken);
        }, cancellationToken);
        RequestReconcile();
    }

    /// <summary><c>missed</c>: ask the resource's handler to catch up. Handler failures propagate (the dispatcher retries).</summary>
    public async Task ResyncAfterMissedAsync(Guid graphId, CancellationToken cancellationToken)
    {
        var record = await _store.FindByGraphIdAsync(graphId, cancellationToken);
        if (record is null)
        {
            SubscriptionLog.UnknownSubscription(_logger, "missed", graphId);
            return;
        }

        await _resync.ResyncAsync(record, "missed", cancellationToken);
    }

    /// <summary>Reads the store before anything else starts, so intake's lookups never touch the disk.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await _store.ListAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Reconcile)
        {
            return;
        }

        if (!_addresses.IsConfigured && _lifetime is not null)
        {
            // Our own address is the notification URL: wait until the server listens (and answers the handshake).
            try
            {
                await WaitForApplicationStartedAsync(_lifetime, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                // The host stopped before it started (a port in use, a failed start-up): nothing to reconcile.
                return;
            }
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            var wake = _wake;
            try
            {
                await ReconcileOnceAsync(stoppingToken);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                SubscriptionLog.ReconcilerFailed(_logger, exception);
            }

            var now = _time.GetUtcNow();
            var next = now + _options.ReconcileInterval;
            if (_board.EarliestDue() is { } due && due < next)
            {
                next = due;
            }

            var delay = next - now < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : next - now;
            try
            {
                await Task.WhenAny(Task.Delay(delay, _time, stoppingToken), wake.Task);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (wake.Task.IsCompleted)
            {
                Interlocked.CompareExchange(ref _wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), wake);
            }
        }
    }

    private static async Task WaitForApplicationStartedAsync(IHostApplicationLifetime lifetime, CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var onStarted = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(stoppingToken);
    }

    private bool ResolveAddresses()
    {
        if (_addresses.Current is not { } urls)
        {
            if (!_waitingLogged)
            {
                _waitingLogged = true;
                SubscriptionLog.WaitingForAddress(_logger);
            }

            return false;
        }

        if (_notificationUrl.Length == 0)
        {
            _notificationUrl = urls.NotificationUrl;
            _lifecycleUrl = urls.LifecycleNotificationUrl;
            SubscriptionLog.Addresses(_logger, _notificationUrl, _lifecycleUrl, _addresses.IsConfigured ? "configured" : "the service's own address");
        }

        return true;
    }

    private async Task ReconcileOneAsync(DesiredSubscription desired, SubscriptionRecord? record, GraphSubscriptionsView view, DateTimeOffset now, CancellationToken ct)
    {
        if (record?.GraphId is { } id)
        {
            if (view.Known)
            {
                var inGraph = view.Find(id);
                if (inGraph is null)
                {
                    await RecreateAsync(desired, record, "it is no longer in Graph", now, ct);
                    return;
                }

                if (inGraph.ExpirationDateTime is { } graphExpiry && graphExpiry <= now)
                {
                    await RecreateAsync(desired, record, "it was found expired", now, ct);
                    return;
                }

                if (inGraph.ExpirationDateTime is { } expiry && expiry != record.ExpiresAt)
                {
                    record = record with { ExpiresAt = expiry };
                    await _store.UpsertAsync(record, ct);
                }
            }
            else if (record.ExpiresAt is { } storedExpiry && storedExpiry <= now)
            {
                await RecreateAsync(desired, record, "it was found expired", now, ct);
                return;
            }

            if (_reauthorizationPending.ContainsKey(desired.Key))
            {
                record = await ReauthorizeCoreAsync(desired, record, now, ct);
                if (record is null)
                {
                    return;
                }
            }

            await RenewIfDueAsync(desired, record, now, ct);
            return;
        }

        if (view.FindAdoptable(desired, now) is { } candidate)
        {
            if (record is not null)
            {
                await AdoptAsync(desired, record, candidate.Id, candidate.Subscription, "found in GET /subscriptions", view, now, ct);
                return;
            }

            // Graph never returns clientState: a subscription we have no record of would fail every clientState check.
            SubscriptionLog.OrphanReplaced(_logger, desired.Key, desired.Resource, desired.ChangeType, candidate.Id);
            view.Claim(candidate.Id);
            var (_, deleteFailure) = await CallAsync(async () => { await _graph.DeleteAsync(candidate.Id, ct); return true; }, ct);
            if (deleteFailure is not null)
            {
                await RecordFailureAsync(desired, NewRecord(desired), "Replace", deleteFailure, now, ct);
                return;
            }
        }

        await CreateAsync(desired, record, view, now, ct);
    }

    private async Task RecreateAsync(DesiredSubscription desired, SubscriptionRecord record, string reason, DateTimeOffset now, CancellationToken ct)
    {
        var oldId = record.GraphId;
        _recreating[desired.Key] = (oldId, reason);
        _reauthorizationPending.TryRemove(desired.Key, out _);
        if (oldId is { } id)
        {
            // Graph says it is gone or expired: deleting is housekeeping only (so a stale one is never adopted back),
            // and a failure here must not hold up the recreation.
            await CallAsync(async () => { await _graph.DeleteAsync(id, ct); return true; }, ct);
        }

        // A fresh subscription gets a fresh clientState; it is stored before the create so that a create Graph
        // completed but we never heard of can be adopted later.
        var pending = record with
        {
            GraphId = null,
            ClientState = ClientStateGenerator.Create(),
            ExpiresAt = null,
            LastRenewedAt = null,
            LastReauthorizedAt = null,
        };
        await _store.UpsertAsync(pending, ct);
        await CreateAsync(desired, pending, view: null, now, ct);
    }

    private async Task CreateAsync(DesiredSubscription desired, SubscriptionRecord? record, GraphSubscriptionsView? view, DateTimeOffset now, CancellationToken ct)
    {
        var pending = record is { GraphId: null, ClientState.Length: > 0 }
            ? record with { Resource = desired.Resource, ChangeType = desired.ChangeType, IncludeResourceData = desired.IncludeResourceData }
            : (record ?? NewRecord(desired)) with { GraphId = null, ClientState = ClientStateGenerator.Create(), ExpiresAt = null };
        if (pending != record)
        {
            await _store.UpsertAsync(pending, ct);
        }

        // Before Graph can notify: the handler's baseline (a delta link), so the first notification's change is reported.
        var (_, baselineFailure) = await CallAsync(async () => { await _resync.PrepareAsync(desired.Resource, ct); return true; }, ct);
        if (baselineFailure is not null)
        {
            await RecordFailureAsync(desired, pending, "Baseline", baselineFailure, now, ct);
            return;
        }

        var expiration = ExpirationFor(desired, now);
        var subscription = new Subscription
        {
            Resource = desired.Resource,
            ChangeType = desired.ChangeType,
            NotificationUrl = _notificationUrl,
            LifecycleNotificationUrl = _lifecycleUrl,
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

        var (created, failure) = await CallAsync(() => _graph.CreateAsync(subscription, ct), ct);
        if (failure is { IsConflict: true })
        {
            // Graph already has this resource + changeType for us: most likely our own create that we never heard back from.
            var fresh = await ListGraphAsync(ct);
            if (fresh.FindAdoptable(desired, now) is { } existing)
            {
                await AdoptAsync(desired, pending, existing.Id, existing.Subscription, "409 on create", fresh, now, ct);
                return;
            }
        }

        if (failure is not null || created is null || !Guid.TryParse(created.Id, out var graphId))
        {
            await RecordFailureAsync(desired, pending, "Create", failure ?? new GraphFailure(null, "invalid", "Graph answered without a subscription id.", null), now, ct);
            return;
        }

        view?.Claim(graphId);
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
        };
        await _store.UpsertAsync(active, ct);
        if (_recreating.TryRemove(desired.Key, out var recreation))
        {
            SubscriptionLog.Recreated(_logger, desired.Key, desired.Resource, desired.ChangeType, recreation.OldGraphId, graphId, recreation.Reason, active.ExpiresAt);
        }
        else
        {
            SubscriptionLog.Created(_logger, desired.Key, desired.Resource, desired.ChangeType, graphId, active.ExpiresAt);
        }

        await MarkActiveAsync(desired, active, ct);
    }

    private async Task AdoptAsync(DesiredSubscription desired, SubscriptionRecord record, Guid graphId, Subscription inGraph, string how, GraphSubscriptionsView view, DateTimeOffset now, CancellationToken ct)
    {
        view.Claim(graphId);
        _recreating.TryRemove(desired.Key, out _);
        var adopted = record with
        {
            GraphId = graphId,
            ExpiresAt = inGraph.ExpirationDateTime,
            CreatedAt = record.CreatedAt ?? now,
            FailureReason = null,
            ConsecutiveFailures = 0,
            EncryptionCertificateId = inGraph.EncryptionCertificateId ?? record.EncryptionCertificateId,
        };
        await _store.UpsertAsync(adopted, ct);
        SubscriptionLog.Adopted(_logger, desired.Key, desired.Resource, desired.ChangeType, graphId, how);

        // It may notify already: take the baseline now if none is kept. A failure leaves the first notification to take it.
        var (_, baselineFailure) = await CallAsync(async () => { await _resync.PrepareAsync(desired.Resource, ct); return true; }, ct);
        if (baselineFailure is not null)
        {
            SubscriptionLog.BaselineFailed(_logger, desired.Key, desired.Resource, graphId, baselineFailure.Reason);
        }

        adopted = await MarkActiveAsync(desired, adopted, ct);
        await RenewIfDueAsync(desired, adopted, now, ct);
    }

    private async Task RenewIfDueAsync(DesiredSubscription desired, SubscriptionRecord record, DateTimeOffset now, CancellationToken ct)
    {
        var due = RenewalDue(desired, record);
        if (now < due)
        {
            await MarkActiveAsync(desired, record, ct);
            return;
        }

        if (record.LastReauthorizedAt is { } reauthorizedAt && now - reauthorizedAt < ReauthorizeRenewSeparation)
        {
            var renewAt = reauthorizedAt + ReauthorizeRenewSeparation;
            SubscriptionLog.RenewalDeferred(_logger, desired.Key, record.GraphId!.Value, renewAt, reauthorizedAt);
            _board.Update(record, SubscriptionState.Active, renewAt, due);
            return;
        }

        await RenewAsync(desired, record, "renewed", now, ct);
    }

    private async Task<SubscriptionRecord?> RenewAsync(DesiredSubscription desired, SubscriptionRecord record, string how, DateTimeOffset now, CancellationToken ct)
    {
        var id = record.GraphId!.Value;
        var expiration = ExpirationFor(desired, now);
        var rotateTo = CertificateToRotateTo(desired, record);
        var (renewed, failure) = await CallAsync(() => _graph.RenewAsync(id, expiration, rotateTo, ct), ct);
        if (rotateTo is not null && failure is { IsBadRequest: true })
        {
            // Graph refused the new certificate: renew on the old one rather than let the subscription lapse.
            SubscriptionLog.CertificateRefused(_logger, desired.Key, id, rotateTo.Id, failure.Reason);
            rotateTo = null;
            (renewed, failure) = await CallAsync(() => _graph.RenewAsync(id, expiration, null, ct), ct);
        }

        if (failure is { IsNotFound: true })
        {
            await RecreateAsync(desired, record, "renewal answered 404", now, ct);
            return null;
        }

        if (failure is not null)
        {
            await RecordFailureAsync(desired, record, how == "renewed" ? "Renew" : "Reauthorize (renew)", failure, now, ct);
            return null;
        }

        var updated = record with
        {
            ExpiresAt = renewed?.ExpirationDateTime ?? expiration,
            LastRenewedAt = now,
            FailureReason = null,
            ConsecutiveFailures = 0,
            EncryptionCertificateId = rotateTo?.Id ?? record.EncryptionCertificateId,
        };
        await _store.UpsertAsync(updated, ct);
        _reauthorizationPending.TryRemove(desired.Key, out _);
        if (rotateTo is not null)
        {
            SubscriptionLog.CertificateRotated(_logger, desired.Key, desired.Resource, id, rotateTo.Id, record.EncryptionCertificateId!);
        }

        if (how == "renewed")
        {
            SubscriptionLog.Renewed(_logger, desired.Key, desired.Resource, id, updated.ExpiresAt, record.ExpiresAt);
        }
        else
        {
            SubscriptionLog.Reauthorized(_logger, desired.Key, desired.Resource, id, how);
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

    private async Task<SubscriptionRecord?> ReauthorizeCoreAsync(DesiredSubscription desired, SubscriptionRecord record, DateTimeOffset now, CancellationToken ct)
    {
        var id = record.GraphId!.Value;
        var last = Max(record.LastRenewedAt, record.LastReauthorizedAt);
        if (last is { } lastAt && now - lastAt < ReauthorizeRenewSeparation)
        {
            // A PATCH reauthorizes too, and a reauthorize just happened: either way, doing it again now breaks Graph's rule.
            _reauthorizationPending.TryRemove(desired.Key, out _);
            SubscriptionLog.ReauthorizationSkipped(_logger, desired.Key, id, lastAt, ReauthorizeRenewSeparation);
            return record;
        }

        if (now + _options.ReconcileInterval >= RenewalDue(desired, record))
        {
            return await RenewAsync(desired, record, "by renewal, which was due", now, ct);
        }

        var (_, failure) = await CallAsync(async () => { await _graph.ReauthorizeAsync(id, ct); return true; }, ct);
        if (failure is { IsNotFound: true })
        {
            await RecreateAsync(desired, record, "reauthorize answered 404", now, ct);
            return null;
        }

        if (failure is not null)
        {
            await RecordFailureAsync(desired, record, "Reauthorize", failure, now, ct);
            return null;
        }

        _reauthorizationPending.TryRemove(desired.Key, out _);
        var updated = record with { LastReauthorizedAt = now, FailureReason = null, ConsecutiveFailures = 0 };
        await _store.UpsertAsync(updated, ct);
        SubscriptionLog.Reauthorized(_logger, desired.Key, desired.Resource, id, "reauthorize");
        return await MarkActiveAsync(desired, updated, ct);
    }

    /// <summary>Runs a resync still owed (after subscriptionRemoved) and publishes the subscription as active.</summary>
    private async Task<SubscriptionRecord> MarkActiveAsync(DesiredSubscription desired, SubscriptionRecord record, CancellationToken ct)
    {
        if (record.PendingResyncReason is { } reason)
        {
            try
            {
                await _resync.ResyncAsync(record, reason, ct);
                record = record with { PendingResyncReason = null };
                await _store.UpsertAsync(record, ct);
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                SubscriptionLog.ResyncFailed(_logger, exception, record.Key, record.Resource, desired.Entry.ResourceType);
            }
        }

        _board.Update(record, SubscriptionState.Active, null, RenewalDue(desired, record));
        return record;
    }

    private async Task RemoveUndesiredAsync(IEnumerable<SubscriptionRecord> stored, GraphSubscriptionsView view, DateTimeOffset now, CancellationToken ct)
    {
        foreach (var record in stored.Where(r => !_desired.ContainsKey(r.Key)))
        {
            if (record.GraphId is { } id)
            {
                view.Claim(id);
                var (_, failure) = await CallAsync(async () => { await _graph.DeleteAsync(id, ct); return true; }, ct);
                if (failure is not null)
                {
                    SubscriptionLog.OperationFailed(_logger, record.Key, record.Resource, record.ChangeType, "Delete", failure.Reason, record.ConsecutiveFailures + 1, now + _options.ReconcileInterval);
                    continue;
                }
            }

            await _store.DeleteAsync(record.Key, ct);
            _board.Remove(record.Key);
            SubscriptionLog.Deleted(_logger, record.Key, record.Resource, record.GraphId, "no longer configured");
        }

        if (!view.Known)
        {
            return;
        }

        foreach (var (id, subscription) in view.UnclaimedOurs().ToList())
        {
            if (_desired.Values.Any(d => d.Matches(subscription.Resource, subscription.ChangeType)))
            {
                continue; // a desired one waiting out a backoff will adopt it
            }

            var (_, failure) = await CallAsync(async () => { await _graph.DeleteAsync(id, ct); return true; }, ct);
            if (failure is null)
            {
                SubscriptionLog.Deleted(_logger, null, subscription.Resource, id, "not configured (found in GET /subscriptions)");
            }
            else
            {
                SubscriptionLog.OperationFailed(_logger, "-", subscription.Resource ?? "?", subscription.ChangeType ?? "?", "Delete", failure.Reason, 1, now + _options.ReconcileInterval);
            }
        }
    }

    private async Task RecordFailureAsync(DesiredSubscription desired, SubscriptionRecord record, string operation, GraphFailure failure, DateTimeOffset now, CancellationToken ct)
    {
        var failures = record.ConsecutiveFailures + 1;
        var delay = RetryBackoff.Delay(failures, _options.RetryBaseDelay, _options.RetryMaxDelay, failure.RetryAfter, Random.Shared.NextDouble());
        var retryAt = now + delay;
        var failed = record with { FailureReason = $"{operation}: {failure.Reason}", ConsecutiveFailures = failures };
        await _store.UpsertAsync(failed, ct);
        _board.Update(failed, SubscriptionState.Failing, retryAt, null);
        if (failures >= KeepsFailingThreshold)
        {
            SubscriptionLog.KeepsFailing(_logger, desired.Key, desired.Resource, desired.ChangeType, operation, failure.Reason, failures, retryAt);
        }
        else
        {
            SubscriptionLog.OperationFailed(_logger, desired.Key, desired.Resource, desired.ChangeType, operation, failure.Reason, failures, retryAt);
        }
    }

    private async Task<GraphSubscriptionsView> ListGraphAsync(CancellationToken ct)
    {
        var (list, failure) = await CallAsync(() => _graph.ListAllAsync(ct), ct);
        if (failure is not null)
        {
            SubscriptionLog.ListFailed(_logger, failure.Reason);
        }

        return new GraphSubscriptionsView(list, _notificationUrl);
    }

    /// <summary>Runs <paramref name="action"/> under the reconciler's lock for a subscription this service keeps.</summary>
    private async Task OnKeptSubscriptionAsync(Guid graphId, string lifecycleEvent, Func<DesiredSubscription, SubscriptionRecord, Task> action, CancellationToken ct)
    {
        if (!_options.Reconcile)
        {
            // A receiver-only instance: the event is handled (logged) but only the instance that reconciles acts on it.
            var kept = await _store.FindByGraphIdAsync(graphId, ct);
            SubscriptionLog.LeftToReconcilingInstance(_logger, lifecycleEvent, graphId, kept?.Key ?? "-");
            return;
        }

        if (!ResolveAddresses())
        {
            throw new InvalidOperationException("The service's notification URL is not known yet; the lifecycle event is retried.");
        }

        await _gate.WaitAsync(ct);
        try
        {
            var record = await _store.FindByGraphIdAsync(graphId, ct);
            if (record is null || !_desired.TryGetValue(record.Key, out var desired))
            {
                SubscriptionLog.UnknownSubscription(_logger, lifecycleEvent, graphId);
                return;
            }

            await action(desired, record);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The expiration asked of Graph: the configured lifetime, never past the resource's maximum (less a safety margin).</summary>
    private DateTimeOffset ExpirationFor(DesiredSubscription desired, DateTimeOffset now)
    {
        var ceiling = desired.MaxLifetime - _options.ExpirationSafetyMargin;
        return now + (desired.Lifetime < ceiling ? desired.Lifetime : ceiling);
    }

    /// <summary>
    /// When to renew: once <see cref="SubscriptionsOptions.RenewAtFraction"/> of the lifetime has passed, shifted by a
    /// per-subscription jitter (stable for one expiry) so renewals of many subscriptions spread out.
    /// </summary>
    private DateTimeOffset RenewalDue(DesiredSubscription desired, SubscriptionRecord record)
    {
        if (record.ExpiresAt is not { } expiresAt)
        {
            return DateTimeOffset.MinValue;
        }

        var lifetime = desired.Lifetime;
        var jitter = lifetime * (_options.RenewJitterFraction * StableUnit(record.Key, expiresAt));
        return expiresAt - (lifetime * (1 - _options.RenewAtFraction)) + jitter;
    }

    /// <summary>A number in [-1, 1] fixed by the key and expiry (FNV-1a), so one subscription's renewal point does not wander.</summary>
    private static double StableUnit(string key, DateTimeOffset expiresAt)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in key)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        hash = (hash ^ (ulong)expiresAt.UtcTicks) * 1099511628211UL;
        return (hash % 20_001) / 10_000.0 - 1;
    }

    private static SubscriptionRecord NewRecord(DesiredSubscription desired) => new()
    {
        Key = desired.Key,
        Resource = desired.Resource,
        ChangeType = desired.ChangeType,
        ClientState = ClientStateGenerator.Create(),
        IncludeResourceData = desired.IncludeResourceData,
    };

    private static DateTimeOffset? Max(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;

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
