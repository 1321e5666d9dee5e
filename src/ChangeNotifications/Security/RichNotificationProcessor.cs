using System.Text.Json;
using ChangeNotifications.Dispatching;
using ChangeNotifications.Inbox;
using Microsoft.Graph.Models;

namespace ChangeNotifications.Security;

/// <summary>
/// Rich notifications at dispatch (never on the request path): the batch's validation tokens are checked (once per
/// batch), then the item's <c>encryptedContent</c> is decrypted. Encrypted content without tokens, tokens that fail,
/// or content that does not decrypt: the item is dead-lettered. Items with neither tokens nor content pass unchecked.
/// </summary>
internal sealed partial class RichNotificationProcessor(
    ValidationTokenValidator validator,
    BatchTokenVerdicts verdicts,
    ResourceDataDecryptor decryptor,
    ILogger<RichNotificationProcessor> logger) : IRichNotificationProcessor
{
    public async Task<string?> PrepareAsync(ChangeNotification notification, InboxItem item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notification);
        ArgumentNullException.ThrowIfNull(item);
        var tokens = ParseTokens(item.ValidationTokens);
        var encrypted = notification.EncryptedContent;
        if (tokens.Count == 0)
        {
            if (encrypted is null)
            {
                return null;
            }

            LogMissingTokens(logger, item.SubscriptionId, notification.TenantId, item.Id);
            throw new PermanentNotificationException("Encrypted content without validation tokens: nothing proves it comes from Microsoft Graph.");
        }

        if (notification.TenantId is not { } tenantId)
        {
            throw new PermanentNotificationException("Validation tokens without a tenantId: the issuer cannot be checked.");
        }

        var verdict = await verdicts.GetOrCheckAsync(item.ValidationTokens!, tenantId, item.ReceivedAt, async () =>
        {
            var result = await validator.ValidateAsync(tokens, tenantId, item.ReceivedAt, cancellationToken);
            if (!result.IsValid)
            {
                LogTokensRejected(logger, result.Reason, item.SubscriptionId, tenantId, tokens.Count, item.ReceivedAt);
            }

            return result;
        });
        if (!verdict.IsValid)
        {
            throw new PermanentNotificationException($"Validation tokens rejected: {verdict.Reason}.");
        }

        if (encrypted is null)
        {
            return null;
        }

        try
        {
            var content = await decryptor.DecryptAsync(encrypted);
            LogDecrypted(logger, item.SubscriptionId, encrypted.EncryptionCertificateId, content.Length);
            return content;
        }
        catch (PermanentNotificationException ex)
        {
            LogDecryptionFailed(logger, ex.Message, item.SubscriptionId, tenantId, item.Id);
            throw;
        }
    }

    private static IReadOnlyList<string> ParseTokens(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return [];
        }

        try
        {
            return JsonSerializer.Deserialize<List<string?>>(json) is { } list && list.TrueForAll(t => !string.IsNullOrEmpty(t))
                ? list.ConvertAll(t => t!)
                : throw new PermanentNotificationException("validationTokens is not an array of tokens.");
        }
        catch (JsonException)
        {
            throw new PermanentNotificationException("validationTokens is not an array of tokens.");
        }
    }

    [LoggerMessage(EventId = 6010, Level = LogLevel.Warning, Message = "Security: validation tokens rejected ({Reason}) for a batch of subscription {SubscriptionId} (tenant {TenantId}, {TokenCount} tokens, received {ReceivedAt:O}); its items are dead-lettered")]
    private static partial void LogTokensRejected(ILogger logger, string? reason, Guid subscriptionId, Guid tenantId, int tokenCount, DateTimeOffset receivedAt);

    [LoggerMessage(EventId = 6011, Level = LogLevel.Warning, Message = "Security: encrypted content without validation tokens for subscription {SubscriptionId} (tenant {TenantId}, inbox item {InboxId}); dead-lettered")]
    private static partial void LogMissingTokens(ILogger logger, Guid subscriptionId, Guid? tenantId, long inboxId);

    [LoggerMessage(EventId = 6012, Level = LogLevel.Warning, Message = "Security: resource data not decrypted ({Reason}) for subscription {SubscriptionId} (tenant {TenantId}, inbox item {InboxId}); dead-lettered")]
    private static partial void LogDecryptionFailed(ILogger logger, string reason, Guid subscriptionId, Guid tenantId, long inboxId);

    [LoggerMessage(EventId = 6013, Level = LogLevel.Debug, Message = "Decrypted resource data for subscription {SubscriptionId} with certificate {CertificateId} ({Length} characters)")]
    private static partial void LogDecrypted(ILogger logger, Guid subscriptionId, string? certificateId, int length);
}
