using ChangeNotifications.Inbox;
using Microsoft.Graph.Models;

namespace ChangeNotifications.Dispatching;

/// <summary>
/// Checks a rich notification at dispatch time (validation tokens of its batch) and decrypts its resource.
/// Returns the decrypted JSON, or null for a notification without resource data. Throws
/// <see cref="PermanentNotificationException"/> when the item must not be handled (tokens invalid,
/// signature mismatch, unknown certificate).
/// </summary>
internal interface IRichNotificationProcessor
{
    Task<string?> PrepareAsync(ChangeNotification notification, InboxItem item, CancellationToken cancellationToken);
}

/// <summary>Until rich notifications are configured: items that carry encrypted content are refused.</summary>
internal sealed class NoRichNotificationProcessor : IRichNotificationProcessor
{
    public Task<string?> PrepareAsync(ChangeNotification notification, InboxItem item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notification);
        return notification.EncryptedContent is null
            ? Task.FromResult<string?>(null)
            : throw new PermanentNotificationException("Encrypted content received, but no decryption certificate is configured.");
    }
}
