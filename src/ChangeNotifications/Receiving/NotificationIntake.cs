using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Unicode;
using ChangeNotifications.Inbox;
using ChangeNotifications.Notifications;
using ChangeNotifications.Logging;
using ChangeNotifications.Subscriptions;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace ChangeNotifications.Receiving;

/// <summary>
/// The hot path: checks size and content type, reads each item of the batch (<see cref="NotificationItemReader"/>,
/// with the Graph SDK's outcomes), keeps the items that match a known subscription and its clientState, stores
/// them in the inbox in one durable write, answers 202. No Graph call, no decryption, no handler on this path.
/// A client that goes away mid-request is answered 499 and logged at Debug only.
/// </summary>
internal sealed partial class NotificationIntake(
    IInbox inbox,
    InboxSignal signal,
    ISubscriptionStore subscriptions,
    StoreDeadline deadline,
    ReceivingMetrics metrics,
    IntakeLoad load,
    IOptions<ReceivingOptions> options,
    LogRateLimiter logLimit,
    ILogger<NotificationIntake> logger)
{
    private const int BatchReceivedEvent = 1010;
    private const int DroppedEvent = 1011;
    private const int RejectedEvent = 1012;
    private const int StoreFailedEvent = 1013;

    private readonly ClientStateCheck _clientState = new();

    public async Task<IResult> ReceiveAsync(HttpContext context, string endpoint)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        var limit = options.Value.MaxBodyBytes;

        if (!IsJson(request.ContentType))
        {
            return Reject(StatusCodes.Status415UnsupportedMediaType, "Unsupported content type", "Notifications must be sent as application/json.");
        }

        if (request.ContentLength > limit)
        {
            return Reject(StatusCodes.Status413PayloadTooLarge, "Body too large", $"The body is over the limit of {limit} bytes.");
        }

        PooledBody? body;
        try
        {
            body = await ReadBodyAsync(request.Body, limit, context.RequestAborted);
        }
        catch (Exception ex) when (IsClientAbort(ex, context.RequestAborted))
        {
            LogClientAbortedBody(logger, ex, endpoint);
            if (ex is BadHttpRequestException { StatusCode: not StatusCodes.Status400BadRequest } bad)
            {
                return TypedResults.StatusCode(bad.StatusCode);
            }

            // Close the connection: Kestrel would otherwise try to drain a body it can no longer read, and log an error.
            context.Abort();
            return TypedResults.StatusCode(StatusCodes.Status499ClientClosedRequest);
        }

        if (body is null)
        {
            return Reject(StatusCodes.Status413PayloadTooLarge, "Body too large", $"The body is over the limit of {limit} bytes.");
        }

        // The JSON reader lets some invalid UTF-8 through (inside a string it is only checked when the string is
        // decoded): checked here, over the whole body, so that no such byte is acknowledged and stored.
        if (!Utf8.IsValid(body.Value.Memory.Span))
        {
            body.Value.Dispose();
            return Reject(StatusCodes.Status400BadRequest, "Malformed notification batch", "The body is not valid UTF-8.");
        }

        // From here on the request waits on the store timeout only: a client that goes away meanwhile does not stop a
        // write that may still commit (Graph sends the batch again if it does not).
        var storeDeadline = deadline.Token();
        List<InboxEntry> entries;
        int received;
        Task appended;
        var copies = new StoredCopies(body.Value.Memory.Length);
        try
        {
            try
            {
                using var document = JsonDocument.Parse(body.Value.Memory);
                var parsed = await ReadBatchAsync(document.RootElement, copies, storeDeadline);
                if (parsed.Error is not null)
                {
                    return Reject(StatusCodes.Status400BadRequest, "Malformed notification batch", parsed.Error);
                }

                entries = parsed.Entries;
                received = parsed.Received;
                metrics.Received(received, endpoint);
            }
            catch (JsonException)
            {
                return Reject(StatusCodes.Status400BadRequest, "Malformed notification batch", "The body is not valid JSON.");
            }
            finally
            {
                body.Value.Dispose();
            }

            // The inbox copies what it keeps before AppendAsync returns: the copies go back to the pool right after.
            appended = entries.Count > 0 ? StartAppend(entries, storeDeadline) : Task.CompletedTask;
        }
        finally
        {
            copies.Dispose();
        }

        if (entries.Count > 0)
        {
            try
            {
                await appended;
            }
            catch (OperationCanceledException ex) when (context.RequestAborted.IsCancellationRequested)
            {
                // The client went away and the store timed out: nobody is left to answer 503 to.
                LogClientAbortedStore(logger, ex, endpoint, entries.Count);
                return TypedResults.StatusCode(StatusCodes.Status499ClientClosedRequest);
            }
            catch (Exception ex) when (ex is InboxUnavailableException or OperationCanceledException)
            {
                // An ordinary answer (the store is busy, shutting down, or its write failed and said so at Error):
                // Graph sends the batch again.
                LogStoreFailedDetail(logger, ex, endpoint);
                if (logLimit.ShouldLog(logger, LogLevel.Warning, StoreFailedEvent))
                {
                    LogStoreFailed(logger, endpoint, entries.Count, ex is OperationCanceledException ? "the store timeout passed" : ex.Message);
                }

                metrics.RejectedRequest(StatusCodes.Status503ServiceUnavailable);
                context.Response.Headers.RetryAfter = "5";
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status503ServiceUnavailable,
                    title: "Inbox unavailable",
                    detail: "The notifications could not be stored; send them again.");
            }

            metrics.Stored(entries.Count, endpoint);
            load.Stored(entries.Count);
            signal.Notify();
        }

        if (logLimit.ShouldLog(logger, LogLevel.Information, BatchReceivedEvent))
        {
            LogBatchReceived(logger, endpoint, received, entries.Count, received - entries.Count);
        }

        return WebhookAnswers.Accepted;
    }

    private Task StartAppend(List<InboxEntry> entries, CancellationToken cancellationToken)
    {
        try
        {
            return inbox.AppendAsync(entries, cancellationToken);
        }
        catch (Exception ex)
        {
            return Task.FromException(ex);
        }
    }

    private async ValueTask<ParsedBatch> ReadBatchAsync(JsonElement root, StoredCopies copies, CancellationToken cancellationToken)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.Array)
        {
            return ParsedBatch.Invalid("The body must be an object with a 'value' array of notifications.");
        }

        string? tokens = null;
        if (root.TryGetProperty("validationTokens", out var tokenArray) && tokenArray.ValueKind == JsonValueKind.Array)
        {
            tokens = tokenArray.GetRawText();
        }

        var entries = new List<InboxEntry>(value.GetArrayLength());
        var received = 0;
        foreach (var element in value.EnumerateArray())
        {
            received++;
            if (element.ValueKind != JsonValueKind.Object)
            {
                return ParsedBatch.Invalid($"Item {received - 1} of 'value' is not an object.");
            }

            // The dedup key is not computed here: the inbox computes it from the stored copy when the item is claimed.
            if (!NotificationItemReader.TryReadForMatch(element, out var notification))
            {
                return ParsedBatch.Invalid($"Item {received - 1} of 'value' has a field of the wrong type.");
            }

            var entry = await MatchAsync(notification, element, copies, tokens, cancellationToken);
            if (entry is not null)
            {
                entries.Add(entry);
            }
        }

        return new ParsedBatch(entries, received, null);
    }

    private async ValueTask<InboxEntry?> MatchAsync(NotificationItem notification, JsonElement element, StoredCopies copies, string? tokens, CancellationToken cancellationToken)
    {
        if (notification.SubscriptionId is not { } subscriptionId)
        {
            Dropped(notification.SubscriptionId, DropReason.InvalidItem);
            return null;
        }

        var subscription = await subscriptions.FindByGraphIdAsync(subscriptionId, cancellationToken);
        if (subscription is null)
        {
            Dropped(subscriptionId, DropReason.UnknownSubscription);
            return null;
        }

        if (!_clientState.Matches(subscription, notification.ClientState))
        {
            Dropped(subscriptionId, DropReason.ClientStateMismatch);
            return null;
        }

        // Authenticated: stored whatever else is odd about it. An item without a lifecycleEvent is a change, with or
        // without a changeType (OneDrive's and SharePoint's webhooks send none); the dispatcher handles or dead-letters it.
        var kind = notification.IsLifecycle ? InboxItemKind.Lifecycle : InboxItemKind.Change;
        return new InboxEntry(null, kind, subscriptionId, copies.Add(element), tokens);
    }

    private void Dropped(Guid? subscriptionId, DropReason reason)
    {
        metrics.Dropped(reason);
        if (logLimit.ShouldLog(logger, LogLevel.Warning, DroppedEvent))
        {
            LogDropped(logger, subscriptionId, reason);
        }
    }

    /// <summary>
    /// What reading the request body throws when the client went away or misbehaved: Kestrel's errors about the
    /// request (the body ended early: 499; too slow, too large: their own status), the connection's I/O errors, and
    /// the cancellation of the aborted request.
    /// </summary>
    private static bool IsClientAbort(Exception exception, CancellationToken requestAborted) =>
        exception is BadHttpRequestException or IOException
        || (exception is OperationCanceledException && requestAborted.IsCancellationRequested);

    /// <summary>
    /// <c>application/json</c> (any case), with no parameters or with <c>charset=utf-8</c> among them: Graph's two forms
    /// are recognised without parsing; anything else goes through the header parser. Another charset, or another type
    /// that merely starts the same (<c>application/jsonx</c>, <c>application/json-patch+json</c>), is refused.
    /// </summary>
    internal static bool IsJson(string? contentType)
    {
        if (contentType is null)
        {
            return false;
        }

        if (string.Equals(contentType, "application/json", StringComparison.OrdinalIgnoreCase)
            || string.Equals(contentType, "application/json; charset=utf-8", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (!MediaTypeHeaderValue.TryParse(contentType, out var parsed)
            || !parsed.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var charset = parsed.Charset;
        return !charset.HasValue
            || HeaderUtilities.RemoveQuotes(charset).Equals("utf-8", StringComparison.OrdinalIgnoreCase);
    }

    private IResult Reject(int status, string title, string detail)
    {
        metrics.RejectedRequest(status);
        if (logLimit.ShouldLog(logger, LogLevel.Warning, RejectedEvent))
        {
            LogRejected(logger, status, title);
        }

        return TypedResults.Problem(statusCode: status, title: title, detail: detail);
    }

    /// <summary>Reads the body into a pooled buffer; null when it is over <paramref name="limit"/>.</summary>
    private static async ValueTask<PooledBody?> ReadBodyAsync(Stream body, int limit, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length > limit)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        return null;
                    }

                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    Buffer.BlockCopy(buffer, 0, larger, 0, length);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await body.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > limit)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return null;
                }
            }

            return new PooledBody(buffer, length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    [LoggerMessage(EventId = BatchReceivedEvent, Level = LogLevel.Information, Message = "Received {ItemCount} notifications on {Endpoint}: {Stored} stored, {Dropped} dropped")]
    private static partial void LogBatchReceived(ILogger logger, string endpoint, int itemCount, int stored, int dropped);

    [LoggerMessage(EventId = DroppedEvent, Level = LogLevel.Warning, Message = "Dropped a notification for subscription {SubscriptionId}: {Reason}")]
    private static partial void LogDropped(ILogger logger, Guid? subscriptionId, DropReason reason);

    [LoggerMessage(EventId = RejectedEvent, Level = LogLevel.Warning, Message = "Notification request rejected with {StatusCode}: {Problem}")]
    private static partial void LogRejected(ILogger logger, int statusCode, string problem);

    [LoggerMessage(EventId = StoreFailedEvent, Level = LogLevel.Warning, Message = "Could not store {ItemCount} notifications received on {Endpoint} ({Reason}); answered 503 so Graph sends them again")]
    private static partial void LogStoreFailed(ILogger logger, string endpoint, int itemCount, string reason);

    [LoggerMessage(EventId = 7260, Level = LogLevel.Debug, Message = "The inbox did not store a batch received on {Endpoint}")]
    private static partial void LogStoreFailedDetail(ILogger logger, Exception exception, string endpoint);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Debug, Message = "The client went away, or failed, while sending a notification body on {Endpoint}")]
    private static partial void LogClientAbortedBody(ILogger logger, Exception exception, string endpoint);

    [LoggerMessage(EventId = 1015, Level = LogLevel.Debug, Message = "The client went away while {ItemCount} notifications received on {Endpoint} were being stored; they may still be stored")]
    private static partial void LogClientAbortedStore(ILogger logger, Exception exception, string endpoint, int itemCount);

    private readonly record struct ParsedBatch(List<InboxEntry> Entries, int Received, string? Error)
    {
        public static ParsedBatch Invalid(string error) => new([], 0, error);
    }

    /// <summary>
    /// The stored copies (<see cref="StoredPayload"/>) of a request's items, in one array rented for the request rather
    /// than one array an item (which, for a large batch, would be much of what the request allocates); an item that does not fit
    /// gets its own array.
    /// </summary>
    private sealed class StoredCopies(int capacity) : IDisposable
    {
        private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(capacity);
        private int _used;

        public ReadOnlyMemory<byte> Add(JsonElement item)
        {
            var buffer = _buffer ?? throw new ObjectDisposedException(nameof(StoredCopies));
            if (!StoredPayload.TryWriteTo(item, buffer.AsSpan(_used), out var written))
            {
                return StoredPayload.Of(item);
            }

            var copy = new ReadOnlyMemory<byte>(buffer, _used, written);
            _used += written;
            return copy;
        }

        public void Dispose()
        {
            if (_buffer is { } buffer)
            {
                _buffer = null;
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private readonly struct PooledBody(byte[] buffer, int length) : IDisposable
    {
        public ReadOnlyMemory<byte> Memory => buffer.AsMemory(0, length);

        public void Dispose() => ArrayPool<byte>.Shared.Return(buffer);
    }
}
