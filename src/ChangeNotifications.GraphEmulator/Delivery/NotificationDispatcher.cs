using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ChangeNotifications.GraphEmulator.Hosting;
using ChangeNotifications.GraphEmulator.Rich;
using ChangeNotifications.GraphEmulator.Subscriptions;
using Microsoft.Extensions.Logging;

namespace ChangeNotifications.GraphEmulator.Delivery;

/// <summary>
/// POSTs notification batches as Graph does: items due for the same URL go together; a non-2xx, an error or a timeout
/// is retried with exponential backoff (bounded by attempts and age); every answer is recorded in
/// <see cref="EndpointHealth"/>, whose state delays or drops new notifications. Items of a subscription whose endpoint
/// token ran out are held back until it is renewed (or they age out).
/// </summary>
internal sealed partial class NotificationDispatcher(
    OutboundHttp http,
    EndpointHealth health,
    DeliveryCounters counters,
    SubscriptionRegistry registry,
    ValidationTokenIssuer validationTokens,
    GraphEmulatorOptions options,
    ILogger<NotificationDispatcher> logger)
{
    private readonly Lock _gate = new();
    private readonly List<PendingDelivery> _queue = [];
    private TaskCompletionSource _queued = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private TimeProvider Time => options.TimeProvider;

    /// <summary>Queues new notifications for <paramref name="url"/>, subject to the endpoint's slow / drop state.</summary>
    public void EnqueueNew(Uri url, List<OutgoingNotification> items)
    {
        if (items.Count == 0)
        {
            return;
        }

        var now = Time.GetUtcNow();
        switch (health.StateOf(url))
        {
            case EndpointState.Dropping:
                counters.Dropped(items.Count);
                LogDropped(logger, url, items.Count, "endpoint in drop state");
                return;
            case EndpointState.Slow:
                counters.Delayed(items.Count);
                LogDelayed(logger, url, items.Count, options.Throttling.SlowDelay);
                Enqueue(new PendingDelivery(url, items, now, now + options.Throttling.SlowDelay));
                return;
            default:
                Enqueue(new PendingDelivery(url, items, now, now));
                return;
        }
    }

    /// <summary>How many deliveries wait (due or not).</summary>
    public int PendingCount
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Sends every delivery that is due now and waits for their answers (the per-tick step of the loop).</summary>
    public Task DeliverDueAsync(CancellationToken cancellationToken)
    {
        var due = TakeDue();
        return Task.WhenAll(due.Select(d => SendAsync(d, cancellationToken)));
    }

    /// <summary>The delivery loop: sends what is due, then waits for the next due time or new work.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        var inFlight = new List<Task>();
        while (!stopping.IsCancellationRequested)
        {
            Task queued;
            lock (_gate)
            {
                queued = _queued.Task;
            }

            inFlight.RemoveAll(t => t.IsCompleted);
            inFlight.Add(DeliverDueAsync(stopping));
            await WaitForWorkAsync(queued, stopping);
        }

        await Task.WhenAll(inFlight).ContinueWith(static _ => { }, TaskScheduler.Default);
    }

    public void Clear()
    {
        lock (_gate)
        {
            _queue.Clear();
        }
    }

    private async Task WaitForWorkAsync(Task queued, CancellationToken stopping)
    {
        DateTimeOffset? next;
        lock (_gate)
        {
            next = _queue.Count == 0 ? null : _queue.Min(d => d.DueAt);
        }

        var now = Time.GetUtcNow();
        if (next <= now)
        {
            return;
        }

        using var wake = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var waits = new List<Task> { queued, Task.Delay(Timeout.Infinite, wake.Token) };
        if (next is { } due)
        {
            waits.Add(Task.Delay(due - now, Time, wake.Token));

            // The clock may have moved between reading it and starting the timer (a test advancing a fake clock):
            // the timer then counts from the later time, so look again rather than wait past the due time.
            if (Time.GetUtcNow() >= due)
            {
                await wake.CancelAsync();
                return;
            }
        }

        await Task.WhenAny(waits);
        await wake.CancelAsync();
    }

    private void Enqueue(PendingDelivery delivery)
    {
        TaskCompletionSource signal;
        lock (_gate)
        {
            _queue.Add(delivery);
            signal = _queued;
            _queued = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        signal.TrySetResult();
    }

    /// <summary>Removes the due deliveries, merging fresh ones (not yet tried) for the same URL into one batch.</summary>
    private List<PendingDelivery> TakeDue()
    {
        var now = Time.GetUtcNow();
        List<PendingDelivery> due;
        lock (_gate)
        {
            due = _queue.Where(d => d.DueAt <= now).ToList();
            _queue.RemoveAll(d => d.DueAt <= now);
        }

        var batches = new List<PendingDelivery>();
        foreach (var group in due.GroupBy(d => d.Url.AbsoluteUri, StringComparer.Ordinal))
        {
            var fresh = group.Where(d => d.Attempts == 0).ToList();
            if (fresh.Count > 0)
            {
                batches.Add(new PendingDelivery(fresh[0].Url, [.. fresh.SelectMany(d => d.Items)], fresh.Min(d => d.QueuedAt), now));
            }

            batches.AddRange(group.Where(d => d.Attempts > 0));
        }

        return batches;
    }

    private async Task SendAsync(PendingDelivery delivery, CancellationToken cancellationToken)
    {
        var sendable = HoldBackUnauthorized(delivery);
        if (sendable.Count == 0)
        {
            return;
        }

        var outcome = await PostAsync(delivery.Url, sendable, cancellationToken);
        health.Record(delivery.Url, outcome.Slow, !outcome.Succeeded);
        if (outcome.Slow)
        {
            counters.SlowAnswer();
        }

        if (outcome.Succeeded)
        {
            counters.Delivered(sendable.Count);
            LogDelivered(logger, delivery.Url, sendable.Count, outcome.Status);
            return;
        }

        delivery.Attempts++;
        var now = Time.GetUtcNow();
        var retry = options.Retry;
        if (delivery.Attempts >= retry.MaxAttempts || now - delivery.QueuedAt >= retry.MaxAge || cancellationToken.IsCancellationRequested)
        {
            counters.FailedAttempt();
            counters.Dropped(sendable.Count);
            LogDropped(logger, delivery.Url, sendable.Count, $"gave up after {delivery.Attempts} attempts ({outcome.Describe()})");
            return;
        }

        var backoff = Backoff(delivery.Attempts);
        LogRetrying(logger, delivery.Url, sendable.Count, outcome.Describe(), delivery.Attempts, backoff);
        Enqueue(new PendingDelivery(delivery.Url, sendable, delivery.QueuedAt, now + backoff) { Attempts = delivery.Attempts });
        counters.Retried(sendable.Count);
        counters.FailedAttempt();
    }

    private TimeSpan Backoff(int attempts)
    {
        var retry = options.Retry;
        var factor = Math.Pow(2, attempts - 1);
        var delay = TimeSpan.FromTicks((long)Math.Min(retry.InitialDelay.Ticks * factor, retry.MaxDelay.Ticks));
        return delay < retry.MaxDelay ? delay : retry.MaxDelay;
    }

    /// <summary>
    /// Returns the items that may go now. Change items of a deleted subscription are dropped; those whose endpoint
    /// token ran out wait (Graph keeps retrying for up to 4 h) until a PATCH or reauthorize renews it.
    /// </summary>
    private List<OutgoingNotification> HoldBackUnauthorized(PendingDelivery delivery)
    {
        var now = Time.GetUtcNow();
        var sendable = new List<OutgoingNotification>();
        var held = new List<OutgoingNotification>();
        var gone = 0;
        foreach (var item in delivery.Items)
        {
            if (item.IsLifecycle)
            {
                sendable.Add(item);
                continue;
            }

            var subscription = registry.Find(item.SubscriptionId);
            if (subscription is null)
            {
                gone++;
            }
            else if (subscription.EndpointTokenExpiresAt <= now)
            {
                if (!item.WasWithheld)
                {
                    item.WasWithheld = true;
                    counters.Withheld(1);
                }

                held.Add(item);
            }
            else
            {
                sendable.Add(item);
            }
        }

        if (gone > 0)
        {
            counters.Dropped(gone);
            LogDropped(logger, delivery.Url, gone, "subscription no longer exists");
        }

        if (held.Count > 0)
        {
            if (now - delivery.QueuedAt >= options.Retry.MaxAge)
            {
                counters.Dropped(held.Count);
                LogDropped(logger, delivery.Url, held.Count, "endpoint token expired for too long");
            }
            else
            {
                Enqueue(new PendingDelivery(delivery.Url, held, delivery.QueuedAt, now + options.Retry.InitialDelay) { Attempts = delivery.Attempts });
            }
        }

        return sendable;
    }

    private async Task<DeliveryOutcome> PostAsync(Uri url, List<OutgoingNotification> items, CancellationToken cancellationToken)
    {
        var payload = new JsonObject { ["value"] = new JsonArray([.. items.Select(i => i.Item.DeepClone())]) };
        if (items.Any(i => i.IsRich))
        {
            payload["validationTokens"] = new JsonArray(validationTokens.Issue(options.ClientId, options.TenantId));
        }

        var started = Time.GetTimestamp();
        using var timeout = new CancellationTokenSource(options.DeliveryTimeout, Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            using var content = JsonContent.Create(payload);
            using var response = await http.Client.PostAsync(url, content, linked.Token);
            var slow = Time.GetElapsedTime(started) > options.SlowAnswerThreshold;
            return new DeliveryOutcome((int)response.StatusCode, TimedOut: false, slow, Error: null);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return new DeliveryOutcome(0, TimedOut: true, Slow: true, Error: null);
        }
        catch (HttpRequestException e)
        {
            return new DeliveryOutcome(0, TimedOut: false, Time.GetElapsedTime(started) > options.SlowAnswerThreshold, e.HttpRequestError.ToString());
        }
    }

    private sealed record DeliveryOutcome(int Status, bool TimedOut, bool Slow, string? Error)
    {
        public bool Succeeded => Status is >= 200 and < 300;

        public string Describe() => TimedOut ? "timed out" : Error ?? $"status {Status}";
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Emulator delivered {Count} notification(s) to {Url}: {Status}")]
    private static partial void LogDelivered(ILogger logger, Uri url, int count, int status);

    [LoggerMessage(EventId = 401, Level = LogLevel.Warning, Message = "Emulator delivery of {Count} notification(s) to {Url} failed ({Outcome}), attempt {Attempt}; retrying in {Backoff}")]
    private static partial void LogRetrying(ILogger logger, Uri url, int count, string outcome, int attempt, TimeSpan backoff);

    [LoggerMessage(EventId = 402, Level = LogLevel.Warning, Message = "Emulator dropped {Count} notification(s) for {Url}: {Reason}")]
    private static partial void LogDropped(ILogger logger, Uri url, int count, string reason);

    [LoggerMessage(EventId = 403, Level = LogLevel.Warning, Message = "Emulator delays {Count} notification(s) for slow endpoint {Url} by {Delay}")]
    private static partial void LogDelayed(ILogger logger, Uri url, int count, TimeSpan delay);
}
