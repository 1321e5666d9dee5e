using ChangeNotifications.GraphEmulator.Delivery;
using ChangeNotifications.GraphEmulator.Hosting;
using ChangeNotifications.GraphEmulator.Subscriptions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ChangeNotifications.GraphEmulator.Lifecycle;

/// <summary>Lifecycle events Graph sends to a subscription's <c>lifecycleNotificationUrl</c>.</summary>
public enum LifecycleEvent
{
    ReauthorizationRequired,
    SubscriptionRemoved,
    Missed,
}

/// <summary>
/// Sends lifecycle events: <c>reauthorizationRequired</c> when a subscription's endpoint token or expiry is within
/// <see cref="GraphEmulatorOptions.ReauthorizationLeadTime"/> (once per renewal), and any event on demand.
/// <c>subscriptionRemoved</c> also removes the subscription, as Graph has.
/// </summary>
internal sealed partial class LifecycleNotifier(
    SubscriptionRegistry registry,
    NotificationFactory factory,
    NotificationDispatcher dispatcher,
    GraphEmulatorOptions options,
    ILogger<LifecycleNotifier> logger)
{
    public bool Send(Guid subscriptionId, LifecycleEvent lifecycleEvent)
    {
        var subscription = registry.Find(subscriptionId);
        if (subscription?.LifecycleNotificationUrl is not { } url)
        {
            return false;
        }

        if (lifecycleEvent == LifecycleEvent.SubscriptionRemoved)
        {
            registry.Remove(subscriptionId);
        }
        else if (lifecycleEvent == LifecycleEvent.ReauthorizationRequired)
        {
            var now = options.TimeProvider.GetUtcNow();
            registry.Update(subscriptionId, s => s with { ReauthorizationRequestedAt = now });
        }

        dispatcher.EnqueueNew(url, [factory.Lifecycle(subscription, WireName(lifecycleEvent))]);
        LogSent(logger, WireName(lifecycleEvent), subscriptionId);
        return true;
    }

    /// <summary>The scheduler's tick: sends the <c>reauthorizationRequired</c> events that are due; returns how many.</summary>
    public int SendDueReauthorizations()
    {
        var now = options.TimeProvider.GetUtcNow();
        var lead = options.ReauthorizationLeadTime;
        var sent = 0;
        foreach (var subscription in registry.List())
        {
            var due = subscription.LifecycleNotificationUrl is not null
                && subscription.ReauthorizationRequestedAt is null
                && (subscription.EndpointTokenExpiresAt - now <= lead || subscription.ExpirationDateTime - now <= lead);
            if (due && Send(subscription.Id, LifecycleEvent.ReauthorizationRequired))
            {
                sent++;
            }
        }

        return sent;
    }

    public static string WireName(LifecycleEvent lifecycleEvent) => lifecycleEvent switch
    {
        LifecycleEvent.ReauthorizationRequired => "reauthorizationRequired",
        LifecycleEvent.SubscriptionRemoved => "subscriptionRemoved",
        _ => "missed",
    };

    [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "Emulator sends lifecycle event {LifecycleEvent} for subscription {SubscriptionId}")]
    private static partial void LogSent(ILogger logger, string lifecycleEvent, Guid subscriptionId);
}

/// <summary>Checks for due <c>reauthorizationRequired</c> events every minute of the emulator's clock.</summary>
internal sealed class LifecycleScheduler(LifecycleNotifier notifier, GraphEmulatorOptions options) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = options.TimeProvider.CreateTimer(_ => notifier.SendDueReauthorizations(), null, Interval, Interval);
        await Task.Delay(Timeout.Infinite, stoppingToken).ContinueWith(static _ => { }, TaskScheduler.Default);
    }
}
