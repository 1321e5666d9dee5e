using ChangeNotifications.Resources;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Subscriptions;

/// <summary>
/// Keeps every configured subscription alive: on start, on a timer (<see cref="SubscriptionsOptions.ReconcileInterval"/>,
/// or sooner when a renewal or retry is due) and on lifecycle events. Each pass runs only while this instance holds
/// the <see cref="ILeaderLease"/>: it reads the store and <c>GET /subscriptions</c>, asks the
/// <see cref="SubscriptionPlanner"/> what to do and has <see cref="SubscriptionOperations"/> do it. Tests call
/// <see cref="ReconcileOnceAsync"/> and move a FakeTimeProvider.
/// </summary>
internal sealed class SubscriptionReconciler : BackgroundService, ISubscriptionRequests
{
    /// <summary>The resync reason of <see cref="SubscriptionRequest.Resync"/>, as the handler and the log get it.</summary>
    public const string ResyncRequestedReason = "requested by an operator";

    /// <summary>From this many consecutive failures on, a subscription's failures are logged as errors.</summary>
    public const int KeepsFailingThreshold = 5;

    private readonly ISubscriptionStore _store;
    private readonly SubscriptionPlanner _planner;
    private readonly SubscriptionOperations _operations;
    private readonly SubscriptionStateBoard _board;
    private readonly ILeaderLease _lease;
    private readonly TimeProvider _time;
    private readonly ILogger<SubscriptionReconciler> _logger;
    private readonly SubscriptionsOptions _options;
    private readonly NotificationAddresses _addresses;
    private readonly IHostApplicationLifetime? _lifetime;
    private NotificationUrls? _urls;
    private bool _waitingLogged;
    private readonly Dictionary<string, DesiredSubscription> _desired;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public SubscriptionReconciler(
        ISubscriptionStore store,
        SubscriptionPlanner planner,
        SubscriptionOperations operations,
        SubscriptionStateBoard board,
        ILeaderLease lease,
        IOptions<SubscriptionsOptions> options,
        ResourceCatalog catalog,
        TimeProvider time,
        ILogger<SubscriptionReconciler> logger,
        NotificationAddresses addresses,
        IHostApplicationLifetime? lifetime = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _planner = planner;
        _operations = operations;
        _board = board;
        _lease = lease;
        _time = time;
        _logger = logger;
        _options = options.Value;
        _addresses = addresses;
        _lifetime = lifetime;
        _desired = DesiredSubscription.FromOptions(_options, catalog).ToDictionary(d => d.Key, StringComparer.Ordinal);
    }

    public IReadOnlyCollection<DesiredSubscription> Desired => _desired.Values;

    /// <summary>Wakes the background loop now (after a lifecycle event that left work behind).</summary>
    public void RequestReconcile() => _wake.TrySetResult();

    void ISubscriptionRequests.Wake() => RequestReconcile();

    /// <summary>Under the reconciler's lock, so a pass under way never writes over the request with an older copy.</summary>
    public async Task<SubscriptionRecord?> RequestAsync(string key, SubscriptionRequest request, CancellationToken cancellationToken)
    {
        SubscriptionRecord? record;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            record = await _store.FindByKeyAsync(key, cancellationToken);
            if (record is null)
            {
                return null;
            }

            record = request switch
            {
                SubscriptionRequest.Renew => record with { RenewRequested = true, NextAttemptAt = null },
                SubscriptionRequest.Resync => record with { PendingResyncReason = ResyncRequestedReason },
                SubscriptionRequest.Reconcile => record with { NextAttemptAt = null },
                _ => throw new ArgumentOutOfRangeException(nameof(request), request, "Unknown request."),
            };
            await _store.UpsertAsync(record, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }

        RequestReconcile();
        return record;
    }

    /// <summary>One pass over every subscription, when this instance leads: adopt, create, renew, recreate, retry, delete.</summary>
    public async Task ReconcileOnceAsync(CancellationToken cancellationToken)
    {
        if (!await _lease.HoldsAsync(cancellationToken) || !ResolveAddresses())
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            var pass = NewPass();
            var stored = await _store.ListAsync(cancellationToken);
            var view = await _operations.ListGraphAsync(pass, cancellationToken);
            foreach (var action in _planner.Plan(_desired.Values, stored, view, pass.Now))
            {
                await _operations.ExecuteAsync(action, pass, cancellationToken);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// <c>reauthorizationRequired</c>: POST reauthorize, or a PATCH renewal when renewal is due anyway; never one
    /// within 10 minutes of the other (a duplicate event inside that window is skipped). The intention is stored
    /// first, so a failure is retried by the next pass.
    /// </summary>
    public Task ReauthorizeAsync(Guid graphId, CancellationToken cancellationToken) =>
        OnKeptSubscriptionAsync(
            graphId,
            "reauthorizationRequired",
            record => record with { ReauthorizationPending = true },
            (desired, record) => _operations.ReauthorizeAsync(desired, record, NewPass(), cancellationToken),
            cancellationToken);

    /// <summary><c>subscriptionRemoved</c>: recreate now (retried with backoff until access returns), then resync.</summary>
    public async Task RecreateAfterRemovalAsync(Guid graphId, CancellationToken cancellationToken)
    {
        const string Reason = "Graph removed it (subscriptionRemoved)";
        await OnKeptSubscriptionAsync(
            graphId,
            "subscriptionRemoved",
            record => record with { PendingResyncReason = "subscriptionRemoved", RecreateReason = Reason, RecreatingGraphId = record.GraphId },
            (desired, record) => _operations.RecreateAsync(desired, record, Reason, NewPass(), cancellationToken),
            cancellationToken);
        RequestReconcile();
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
        if (_urls is not null)
        {
            return true;
        }

        if (_addresses.Current is not { } urls)
        {
            if (!_waitingLogged)
            {
                _waitingLogged = true;
                SubscriptionLog.WaitingForAddress(_logger);
            }

            return false;
        }

        _urls = urls;
        SubscriptionLog.Addresses(_logger, urls.NotificationUrl, urls.LifecycleNotificationUrl, _addresses.IsConfigured ? "configured" : "the service's own address");
        return true;
    }

    private ReconcilePass NewPass() => new(_time.GetUtcNow(), _urls!.NotificationUrl, _urls.LifecycleNotificationUrl);

    /// <summary>
    /// Records a lifecycle event's intention on the subscription's record, then, when this instance leads, acts on it
    /// under the reconciler's lock; otherwise the leader's next pass picks the intention up.
    /// </summary>
    private async Task OnKeptSubscriptionAsync(
        Guid graphId,
        string lifecycleEvent,
        Func<SubscriptionRecord, SubscriptionRecord> intention,
        Func<DesiredSubscription, SubscriptionRecord, Task> action,
        CancellationToken ct)
    {
        if (!_options.Reconcile)
        {
            // A receiver-only instance: the event is handled (logged) but only the instance that reconciles acts on it.
            var kept = await _store.FindByGraphIdAsync(graphId, ct);
            SubscriptionLog.LeftToReconcilingInstance(_logger, lifecycleEvent, graphId, kept?.Key ?? "-");
            return;
        }

        var leads = await _lease.HoldsAsync(ct);
        if (leads && !ResolveAddresses())
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

            record = intention(record);
            await _store.UpsertAsync(record, ct);
            if (!leads)
            {
                SubscriptionLog.LeftToReconcilingInstance(_logger, lifecycleEvent, graphId, record.Key);
                return;
            }

            await action(desired, record);
        }
        finally
        {
            _gate.Release();
        }
    }
}
