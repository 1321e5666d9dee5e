using ChangeNotifications.GraphEmulator.Auth;
using ChangeNotifications.GraphEmulator.Delivery;
using ChangeNotifications.GraphEmulator.Hosting;
using ChangeNotifications.GraphEmulator.Lifecycle;
using ChangeNotifications.GraphEmulator.Subscriptions;
using Microsoft.Extensions.Logging;

namespace ChangeNotifications.GraphEmulator.Control;

/// <summary>
/// The emulator's control API in process; <c>/_emulator/…</c> exposes the same operations over loopback HTTP.
/// </summary>
public sealed partial class EmulatorControl
{
    private readonly SubscriptionRegistry _registry;
    private readonly FaultInjector _faults;
    private readonly AccessTokenIssuer _tokens;
    private readonly ChangeGenerator _changes;
    private readonly LifecycleNotifier _lifecycle;
    private readonly NotificationDispatcher _dispatcher;
    private readonly DeliveryCounters _counters;
    private readonly EndpointHealth _health;
    private readonly GraphEmulatorOptions _options;
    private readonly ILogger<EmulatorControl> _logger;

    internal EmulatorControl(
        SubscriptionRegistry registry,
        FaultInjector faults,
        AccessTokenIssuer tokens,
        ChangeGenerator changes,
        LifecycleNotifier lifecycle,
        NotificationDispatcher dispatcher,
        DeliveryCounters counters,
        EndpointHealth health,
        GraphEmulatorOptions options,
        ILogger<EmulatorControl> logger)
    {
        _registry = registry;
        _faults = faults;
        _tokens = tokens;
        _changes = changes;
        _lifecycle = lifecycle;
        _dispatcher = dispatcher;
        _counters = counters;
        _health = health;
        _options = options;
        _logger = logger;
    }

    /// <summary>Delivery counters so far (per notification item; slow answers and failed attempts per POST).</summary>
    public DeliveryCounterSnapshot Counters => _counters.Snapshot();

    /// <summary>Notification POSTs waiting (due now, retrying, delayed or held back).</summary>
    public int PendingDeliveries => _dispatcher.PendingCount;

    /// <summary>
    /// Makes one change per matching subscription through the tenant and queues the notifications (batched per URL).
    /// Null filters match all; <paramref name="resourceKind"/> is <c>message</c>, <c>event</c>, <c>chatMessage</c>, … ;
    /// <paramref name="changeType"/> defaults to the first of created/updated/deleted the subscription has.
    /// Returns the notifications queued.
    /// </summary>
    public int TriggerChange(Guid? subscriptionId = null, string? resourceKind = null, string? changeType = null) =>
        _changes.Trigger(subscriptionId, resourceKind, changeType);

    /// <summary>Sends <paramref name="lifecycleEvent"/> to the subscription's lifecycle URL; false without one.</summary>
    public bool SendLifecycleEvent(Guid subscriptionId, LifecycleEvent lifecycleEvent) => _lifecycle.Send(subscriptionId, lifecycleEvent);

    /// <summary>The lifecycle scheduler's tick (it also runs every minute of the emulator's clock).</summary>
    public int SendDueLifecycleEvents() => _lifecycle.SendDueReauthorizations();

    /// <summary>The delivery loop's tick: sends what is due now and waits for the answers.</summary>
    public Task DeliverDueAsync(CancellationToken cancellationToken = default) => _dispatcher.DeliverDueAsync(cancellationToken);

    /// <summary>Waits (real time, at most <paramref name="timeout"/>) until the counters satisfy <paramref name="condition"/>.</summary>
    public async Task<DeliveryCounterSnapshot> WaitForCountersAsync(Func<DeliveryCounterSnapshot, bool> condition, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        return await _counters.WaitUntilAsync(condition, cts.Token);
    }

    /// <summary>Graph's view of a notification endpoint (normal, slow: delayed, dropping).</summary>
    public EndpointState GetEndpointState(Uri notificationUrl) => _health.StateOf(notificationUrl);

    /// <summary>
    /// The endpoint token of one subscription (or all) runs out now: its change notifications are held back until a
    /// PATCH or reauthorize, and <c>reauthorizationRequired</c> becomes due.
    /// </summary>
    public int ExpireEndpointTokens(Guid? subscriptionId = null)
    {
        var now = _options.TimeProvider.GetUtcNow();
        var count = 0;
        foreach (var subscription in _registry.List().Where(s => subscriptionId is null || s.Id == subscriptionId))
        {
            if (_registry.Update(subscription.Id, s => s with { EndpointTokenExpiresAt = now }) is not null)
            {
                count++;
            }
        }

        LogFault(_logger, "expired endpoint tokens", count);
        return count;
    }

    /// <summary>Back to a clean emulator: no subscriptions, faults, pending deliveries, endpoint history or counts.</summary>
    public void Reset()
    {
        foreach (var subscription in _registry.List())
        {
            _registry.Remove(subscription.Id);
        }

        _faults.Clear();
        _dispatcher.Clear();
        _health.Reset();
        _counters.Reset();
    }

    /// <summary>The live subscriptions (expired ones are gone).</summary>
    public IReadOnlyList<EmulatedSubscription> Subscriptions => _registry.List();

    /// <summary>The next <paramref name="count"/> Graph API requests answer 429 with <c>Retry-After</c>.</summary>
    public void ThrottleNextRequests(int count, TimeSpan retryAfter)
    {
        _faults.Enqueue(new ThrottleFault(retryAfter), count);
        LogFault(_logger, "429", count);
    }

    /// <summary>
    /// The next <paramref name="count"/> Graph API requests answer <paramref name="statusCode"/> (a 5xx), with
    /// <c>Retry-After</c> when <paramref name="retryAfter"/> is given. The SDK retries 503 and 504, not 500.
    /// </summary>
    public void FailNextRequests(int count, int statusCode = 503, TimeSpan? retryAfter = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 500);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statusCode, 599);
        _faults.Enqueue(new ServerErrorFault(statusCode, retryAfter), count);
        LogFault(_logger, statusCode.ToString(System.Globalization.CultureInfo.InvariantCulture), count);
    }

    /// <summary>
    /// The next <paramref name="count"/> Graph API requests answer <paramref name="statusCode"/> (a 4xx) in Graph's error
    /// shape, with <paramref name="code"/> (else Graph's usual one for the status), and <c>Retry-After</c> when
    /// <paramref name="retryAfter"/> is given. The SDK retries none of them.
    /// </summary>
    public void RejectNextRequests(int count, int statusCode, string? code = null, TimeSpan? retryAfter = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 400);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statusCode, 499);
        _faults.Enqueue(new ClientErrorFault(statusCode, code, RetryAfter: retryAfter), count);
        LogFault(_logger, statusCode.ToString(System.Globalization.CultureInfo.InvariantCulture), count);
    }

    /// <summary>The next <paramref name="count"/> Graph API requests get no answer: their connection is dropped.</summary>
    public void DropNextRequests(int count)
    {
        _faults.Enqueue(new DropConnectionFault(), count);
        LogFault(_logger, "dropped connection", count);
    }

    /// <summary>The next <paramref name="count"/> Graph API requests are answered after <paramref name="delay"/> (emulator's clock).</summary>
    public void SlowNextRequests(int count, TimeSpan delay)
    {
        _faults.Enqueue(new SlowAnswerFault(delay), count);
        LogFault(_logger, "slow", count);
    }

    /// <summary>The next <paramref name="count"/> validation handshakes fail as timed out, without waiting.</summary>
    public void TimeOutNextHandshakes(int count = 1)
    {
        _faults.TimeOutNextHandshakes(count);
        LogFault(_logger, "handshake timeout", count);
    }

    /// <summary>Drops pending request and handshake faults.</summary>
    public void ClearFaults() => _faults.Clear();

    /// <summary>Deletes a subscription behind the subscriber's back (no notification): its next PATCH gets 404.</summary>
    public bool DeleteSubscriptionSilently(Guid subscriptionId)
    {
        var removed = _registry.Remove(subscriptionId);
        LogSilentDelete(_logger, subscriptionId, removed);
        return removed;
    }

    /// <summary>Delta and next links issued so far for the collection at <paramref name="resource"/> answer 410 Gone
    /// (<c>resyncRequired</c>) from now on. Returns the collections affected.</summary>
    public int ExpireDeltaLinks(string resource)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(resource);
        var count = _options.Tenant?.ExpireDeltaLinks(resource) ?? 0;
        LogFault(_logger, "expired delta links of " + resource, count);
        return count;
    }

    /// <summary>Every access token issued so far is now expired: Graph requests with them get 401.</summary>
    public int ExpireAccessTokens()
    {
        var count = _tokens.ExpireAll();
        LogFault(_logger, "expired access tokens", count);
        return count;
    }

    [LoggerMessage(EventId = 600, Level = LogLevel.Information, Message = "Emulator fault queued: {Fault} x{Count}")]
    private static partial void LogFault(ILogger logger, string fault, int count);

    [LoggerMessage(EventId = 601, Level = LogLevel.Information, Message = "Emulator deleted subscription {SubscriptionId} silently: {Removed}")]
    private static partial void LogSilentDelete(ILogger logger, Guid subscriptionId, bool removed);
}
