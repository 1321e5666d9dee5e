namespace ChangeNotifications.Subscriptions;

/// <summary>When to try a failing subscription again: Retry-After when Graph gave one, else exponential backoff with jitter.</summary>
internal static class RetryBackoff
{
    public static TimeSpan Delay(int consecutiveFailures, TimeSpan baseDelay, TimeSpan maxDelay, TimeSpan? retryAfter, double jitterSample)
    {
        if (retryAfter is { } wait && wait > TimeSpan.Zero)
        {
            // Never earlier than Graph asked; a little later spreads subscriptions that were throttled together.
            return wait + (wait * 0.1 * jitterSample);
        }

        var exponent = Math.Clamp(consecutiveFailures - 1, 0, 30);
        var raw = baseDelay.TotalMilliseconds * Math.Pow(2, exponent);
        var capped = Math.Min(raw, maxDelay.TotalMilliseconds);

        // ±20% jitter, never past the maximum.
        var jittered = capped * (0.8 + (0.4 * jitterSample));
        return TimeSpan.FromMilliseconds(Math.Min(jittered, maxDelay.TotalMilliseconds));
    }
}
