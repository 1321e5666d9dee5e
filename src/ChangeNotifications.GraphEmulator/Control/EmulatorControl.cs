using ChangeNotifications.GraphEmulator.Auth;
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
    private readonly ILogger<EmulatorControl> _logger;

    internal EmulatorControl(
        SubscriptionRegistry registry,
        FaultInjector faults,
        AccessTokenIssuer tokens,
        ILogger<EmulatorControl> logger)
    {
        _registry = registry;
        _faults = faults;
        _tokens = tokens;
        _logger = logger;
    }

    /// <summary>The live subscriptions (expired ones are gone).</summary>
    public IReadOnlyList<EmulatedSubscription> Subscriptions => _registry.List();

    /// <summary>The next <paramref name="count"/> Graph API requests answer 429 with <c>Retry-After</c>.</summary>
    public void ThrottleNextRequests(int count, TimeSpan retryAfter)
    {
        _faults.Enqueue(new ThrottleFault(retryAfter), count);
        LogFault(_logger, "429", count);
    }

    /// <summary>The next <paramref name="count"/> Graph API requests answer <paramref name="statusCode"/> (a 5xx).</summary>
    public void FailNextRequests(int count, int statusCode = 503)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 500);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statusCode, 599);
        _faults.Enqueue(new ServerErrorFault(statusCode), count);
        LogFault(_logger, statusCode.ToString(System.Globalization.CultureInfo.InvariantCulture), count);
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
