using ChangeNotifications.Resources;

namespace ChangeNotifications.Dispatching;

/// <summary>
/// Handles the notifications of one resource type: fetch what changed and log it. One per
/// <see cref="ResourceType"/>, registered in DI; registering another for the same type replaces it.
/// Throwing <see cref="PermanentNotificationException"/> dead-letters the item at once; any other
/// exception is retried with backoff.
/// </summary>
public interface IChangeNotificationHandler
{
    ResourceType ResourceType { get; }

    Task HandleAsync(ChangeNotificationContext context, CancellationToken cancellationToken);

    /// <summary>Catch up after <c>missed</c> or <c>subscriptionRemoved</c>: delta or list based.</summary>
    Task ResyncAsync(ResyncContext context, CancellationToken cancellationToken);
}

/// <summary>A failure that retrying cannot mend (tampered content, unknown certificate, a bug in the payload).</summary>
public sealed class PermanentNotificationException(string reason, Exception? inner = null) : Exception(reason, inner);
