using ChangeNotifications.GraphEmulator.Hosting;
using ChangeNotifications.GraphEmulator.Subscriptions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ChangeNotifications.GraphEmulator.Delivery;

/// <summary>
/// Makes changes in the tenant under subscriptions' resources and queues what Graph would notify, batched per
/// notification URL. Runs on demand (control API) and, with <see cref="GraphEmulatorOptions.ChangePace"/>, on a timer.
/// </summary>
internal sealed partial class ChangeGenerator(
    SubscriptionRegistry registry,
    NotificationFactory factory,
    NotificationDispatcher dispatcher,
    GraphEmulatorOptions options,
    ILogger<ChangeGenerator> logger)
{
    private static readonly string[] PreferredChangeTypes = ["created", "updated", "deleted"];

    /// <summary>
    /// One change per matching subscription (all when both filters are null); returns the notifications queued.
    /// <paramref name="resourceKind"/> is a rule name such as <c>message</c> or <c>chatMessage</c>.
    /// </summary>
    public int Trigger(Guid? subscriptionId = null, string? resourceKind = null, string? changeType = null)
    {
        var tenant = options.Tenant;
        var batches = new Dictionary<Uri, List<OutgoingNotification>>();
        foreach (var subscription in registry.List())
        {
            if ((subscriptionId is { } id && subscription.Id != id)
                || (resourceKind is not null && !string.Equals(subscription.ResourceKind, resourceKind, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            var type = changeType ?? PreferredChangeTypes.First(subscription.ChangeTypes.Contains);
            var change = subscription.ChangeTypes.Contains(type) ? tenant?.MakeChange(subscription.Resource, type) : null;
            if (change is null)
            {
                LogNoChange(logger, subscription.Id, subscription.Resource, type);
                continue;
            }

            if (!batches.TryGetValue(subscription.NotificationUrl, out var items))
            {
                batches[subscription.NotificationUrl] = items = [];
            }

            items.Add(factory.Change(subscription, change));
        }

        foreach (var (url, items) in batches)
        {
            dispatcher.EnqueueNew(url, items);
        }

        return batches.Values.Sum(b => b.Count);
    }

    [LoggerMessage(EventId = 500, Level = LogLevel.Debug, Message = "Emulator made no {ChangeType} change for subscription {SubscriptionId} on {Resource}")]
    private static partial void LogNoChange(ILogger logger, Guid subscriptionId, string resource, string changeType);
}

/// <summary>Triggers a change for every subscription each <see cref="GraphEmulatorOptions.ChangePace"/> (emulator's clock).</summary>
internal sealed class ChangePacer(ChangeGenerator generator, GraphEmulatorOptions options) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.ChangePace is not { } pace)
        {
            return;
        }

        using var timer = options.TimeProvider.CreateTimer(_ => generator.Trigger(), null, pace, pace);
        await Task.Delay(Timeout.Infinite, stoppingToken).ContinueWith(static _ => { }, TaskScheduler.Default);
    }
}

/// <summary>Runs the dispatcher's delivery loop for the emulator's lifetime.</summary>
internal sealed class DeliveryLoop(NotificationDispatcher dispatcher) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => dispatcher.RunAsync(stoppingToken);
}
