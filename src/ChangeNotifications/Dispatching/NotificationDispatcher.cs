using System.Diagnostics;
using ChangeNotifications.Inbox;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Dispatching;

/// <summary>
/// Claims items from the inbox and hands each to its handler (change) or to the lifecycle handler;
/// marks the handled ones done together at the end of the round (one inbox write, and the subscriptions' last
/// notification time once each), retries failures with exponential backoff and jitter, dead-letters after
/// <see cref="DispatcherOptions.MaxAttempts"/>, or at once what retrying cannot mend (<see cref="HandlingFailure"/>). Handles fewer at once while the intake is busy (<see cref="DispatchPacing"/>).
/// </summary>
internal sealed partial class NotificationDispatcher(
    IInbox inbox,
    InboxSignal signal,
    NotificationProcessor processor,
    DispatchPacing pacing,
    ISubscriptionLookup subscriptions,
    HandlingOutcomes outcomes,
    DispatchFeed feed,
    IOptions<DispatcherOptions> options,
    TimeProvider time,
    ILogger<NotificationDispatcher> logger) : BackgroundService
{
    private DateTimeOffset _nextPurge = DateTimeOffset.MinValue;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            return;
        }

        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var pace = pacing.Next();
                var handled = await RunRoundAsync(pace, stoppingToken);
                await PurgeIfDueAsync(stoppingToken);
                if (handled == 0)
                {
                    await signal.WaitAsync(settings.PollInterval, time, stoppingToken);
                }
                else if (pace.Pause > TimeSpan.Zero)
                {
                    await Task.Delay(pace.Pause, time, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogLoopFailed(logger, ex);
                await Task.Delay(settings.PollInterval, time, stoppingToken);
            }
        }
    }

    /// <summary>One round (at the concurrency the intake's load allows, without the pause): claims a batch and handles
    /// it. Returns how many items were claimed.</summary>
    public Task<int> RunOnceAsync(CancellationToken cancellationToken) =>
        RunRoundAsync(pacing.Next(), cancellationToken);

    private async Task<int> RunRoundAsync(DispatchPace pace, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var items = await inbox.ClaimAsync(pace.BatchSize, settings.Lease, cancellationToken);
        if (items.Count == 0)
        {
            return 0;
        }

        var handled = new HandledItems();
        try
        {
            await Parallel.ForEachAsync(
                items,
                new ParallelOptions { MaxDegreeOfParallelism = pace.Concurrency, CancellationToken = cancellationToken },
                async (item, ct) => await DispatchAsync(item, handled, ct));
        }
        finally
        {
            // Also when stopping: what was handled is marked done, the rest stays claimed for the next start.
            await CompleteAsync(handled);
        }

        return items.Count;
    }

    private async Task CompleteAsync(HandledItems handled)
    {
        await inbox.CompleteAsync(handled.Ids, CancellationToken.None);
        var now = time.GetUtcNow();
        foreach (var subscriptionId in handled.Notified)
        {
            await subscriptions.RecordNotificationAsync(subscriptionId, now, CancellationToken.None);
        }
    }

    private async Task DispatchAsync(InboxItem item, HandledItems handled, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await processor.ProcessAsync(item, cancellationToken);
            handled.Add(item);
            outcomes.Handled(await ResourceTypeOfAsync(item));
            feed.Publish(item, DispatchOutcome.Handled);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Left claimed: released at the next start, or when its lease runs out.
        }
        catch (Exception ex)
        {
            await FailAsync(item, handled, HandlingFailure.Classify(ex), ex, Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>
    /// A failure goes one of three ways (<see cref="HandlingFailure"/>): the resource is gone (done), retrying cannot
    /// mend it (dead-lettered at once), or it is retried after a backoff (at least Graph's <c>Retry-After</c>) until
    /// <see cref="DispatcherOptions.MaxAttempts"/>. One line each; the stack trace only at Debug.
    /// </summary>
    private async Task FailAsync(InboxItem item, HandledItems handled, HandlingFailure failure, Exception error, TimeSpan elapsed)
    {
        LogFailureDetail(logger, error, item.Id, item.Attempts);
        var settings = options.Value;
        var type = await ResourceTypeOfAsync(item);
        if (failure.IsGone)
        {
            LogGone(logger, item.Id, item.SubscriptionId, failure.Status, failure.Reason);
            handled.Add(item);
            outcomes.Handled(type);
            return;
        }

        if (failure.Kind == FailureKind.Permanent || item.Attempts >= settings.MaxAttempts)
        {
            LogDeadLettered(logger, item.Id, item.SubscriptionId, item.Attempts, failure.Reason);
            await inbox.DeadLetterAsync(item.Id, failure.Reason, CancellationToken.None);
            outcomes.DeadLettered(type, failure.Reason);
            feed.Publish(item, DispatchOutcome.DeadLettered, failure.Reason);
            return;
        }

        var delay = Backoff(item.Attempts, settings);
        if (failure.RetryAfter is { } retryAfter && retryAfter > delay)
        {
            delay = retryAfter;
        }

        var next = time.GetUtcNow() + delay;
        LogRetrying(logger, item.Id, item.SubscriptionId, item.Attempts, failure.Status, failure.Reason, next, delay, elapsed.TotalMilliseconds);
        await inbox.RetryLaterAsync(item.Id, next, failure.Reason, CancellationToken.None);
        outcomes.Failed(type, failure.Reason);
    }

    /// <summary>The resource type an item's outcome is counted under: its subscription's.</summary>
    private async ValueTask<Resources.ResourceType> ResourceTypeOfAsync(InboxItem item) =>
        outcomes.TypeOf(await subscriptions.FindByGraphIdAsync(item.SubscriptionId, CancellationToken.None));

    /// <summary>InitialBackoff × 2^(attempt−1), at most MaxBackoff, with ±20 % jitter.</summary>
    public static TimeSpan Backoff(int attempt, DispatcherOptions settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var exponent = Math.Min(Math.Max(attempt - 1, 0), 30);
        var raw = settings.InitialBackoff.TotalMilliseconds * Math.Pow(2, exponent);
        var capped = Math.Min(raw, settings.MaxBackoff.TotalMilliseconds);
#pragma warning disable CA5394 // jitter needs no cryptographic randomness
        var jitter = 0.8 + (Random.Shared.NextDouble() * 0.4);
#pragma warning restore CA5394
        return TimeSpan.FromMilliseconds(Math.Min(capped * jitter, settings.MaxBackoff.TotalMilliseconds));
    }

    private async Task PurgeIfDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (now < _nextPurge)
        {
            return;
        }

        _nextPurge = now + TimeSpan.FromMinutes(10);
        var purged = await inbox.PurgeCompletedAsync(now - options.Value.DedupRetention, cancellationToken);
        if (purged > 0)
        {
            LogPurged(logger, purged);
        }
    }

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Inbox item {InboxId} (subscription {SubscriptionId}) failed on attempt {Attempt} (status {StatusCode}): {Reason}; next attempt at {NextAttemptAt:O}, in {Delay} (took {ElapsedMs} ms)")]
    private static partial void LogRetrying(ILogger logger, long inboxId, Guid subscriptionId, int attempt, string statusCode, string reason, DateTimeOffset nextAttemptAt, TimeSpan delay, double elapsedMs);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "Inbox item {InboxId} (subscription {SubscriptionId}) dead-lettered after {Attempt} attempts: {Reason}")]
    private static partial void LogDeadLettered(ILogger logger, long inboxId, Guid subscriptionId, int attempt, string reason);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Error, Message = "Dispatcher round failed; trying again")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 7250, Level = LogLevel.Debug, Message = "Inbox item {InboxId} failed on attempt {Attempt}")]
    private static partial void LogFailureDetail(ILogger logger, Exception exception, long inboxId, int attempt);

    [LoggerMessage(EventId = 7251, Level = LogLevel.Information, Message = "Inbox item {InboxId} (subscription {SubscriptionId}): the resource is gone (status {StatusCode}: {Reason}); done, not retried")]
    private static partial void LogGone(ILogger logger, long inboxId, Guid subscriptionId, string statusCode, string reason);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Debug, Message = "Purged {Count} handled inbox items past the dedup retention")]
    private static partial void LogPurged(ILogger logger, int count);
}
