using System.Text.Json.Nodes;
using ChangeNotifications.GraphEmulator.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ChangeNotifications.GraphEmulator.Subscriptions;

/// <summary>What the subscriptions endpoints do, apart from HTTP: the rules, the handshakes, the registry.</summary>
internal sealed partial class SubscriptionApi(
    SubscriptionRegistry registry,
    SubscriptionRequestRules rules,
    ValidationHandshake handshake,
    GraphEmulatorOptions options,
    ILogger<SubscriptionApi> logger)
{
    public static readonly GraphFailure NotFound = new(StatusCodes.Status404NotFound, "ResourceNotFound", "The object was not found.");

    public string GraphBaseUrl(HttpContext context) => $"{context.Request.Scheme}://{context.Request.Host}/v1.0";

    public IResult Fail(HttpContext context, GraphFailure failure)
    {
        LogRefused(logger, LogValue.Safe(context.Request.Method), LogValue.Safe(context.Request.Path.Value), failure.StatusCode, LogValue.Safe(failure.Message));
        return failure.ToResult(context, options.TimeProvider);
    }

    public async Task<(EmulatedSubscription? Subscription, GraphFailure? Failure)> CreateAsync(JsonObject body, CancellationToken cancellationToken)
    {
        foreach (var property in new[] { "changeType", "notificationUrl", "resource", "expirationDateTime" })
        {
            if (SubscriptionRequestRules.Required(body, property) is { } missing)
            {
                return (null, missing);
            }
        }

        var resource = SubscriptionRequestRules.Text(body, "resource")!;
        var rule = ResourceRules.Find(resource);
        if (rule is null)
        {
            return (null, GraphFailure.BadRequest($"Resource '{resource}' is not supported for change notifications."));
        }

        var includeResourceData = SubscriptionRequestRules.Flag(body, "includeResourceData");
        var certificate = SubscriptionRequestRules.Text(body, "encryptionCertificate");
        var certificateId = SubscriptionRequestRules.Text(body, "encryptionCertificateId");
        var clientState = SubscriptionRequestRules.Text(body, "clientState");
        if (rules.ReadUrl(SubscriptionRequestRules.Text(body, "notificationUrl"), "notificationUrl", out var notificationUrl) is { } badUrl)
        {
            return (null, badUrl);
        }

        if (rules.ReadUrl(SubscriptionRequestRules.Text(body, "lifecycleNotificationUrl"), "lifecycleNotificationUrl", out var lifecycleUrl) is { } badLifecycleUrl)
        {
            return (null, badLifecycleUrl);
        }

        if (SubscriptionRequestRules.ReadChangeTypes(SubscriptionRequestRules.Text(body, "changeType")!, rule, resource, out var changeTypes) is { } badChangeType)
        {
            return (null, badChangeType);
        }

        if (rules.ReadExpiration(SubscriptionRequestRules.Text(body, "expirationDateTime")!, rule, includeResourceData, out var expiration) is { } badExpiration)
        {
            return (null, badExpiration);
        }

        var failure = SubscriptionRequestRules.CheckClientState(clientState)
            ?? SubscriptionRequestRules.CheckResourceData(rule, resource, includeResourceData, certificate, certificateId)
            ?? rules.CheckTeamsLifecycleUrl(rule, expiration, lifecycleUrl);
        if (failure is not null)
        {
            return (null, failure);
        }

        if (registry.FindDuplicate(resource, changeTypes) is { } existing)
        {
            return (null, Conflict(existing));
        }

        failure = await HandshakeAsync(notificationUrl!, cancellationToken)
            ?? (lifecycleUrl is null ? null : await HandshakeAsync(lifecycleUrl, cancellationToken));
        if (failure is not null)
        {
            return (null, failure);
        }

        var now = options.TimeProvider.GetUtcNow();
        var subscription = new EmulatedSubscription
        {
            Id = Guid.NewGuid(),
            Resource = resource,
            ChangeType = SubscriptionRequestRules.Text(body, "changeType")!,
            ChangeTypes = changeTypes,
            NotificationUrl = notificationUrl!,
            LifecycleNotificationUrl = lifecycleUrl,
            ExpirationDateTime = expiration,
            ClientState = clientState,
            ApplicationId = options.ClientId,
            CreatorId = SubscriptionsEndpoints.ServicePrincipalId,
            IncludeResourceData = includeResourceData,
            EncryptionCertificate = includeResourceData ? certificate : null,
            EncryptionCertificateId = includeResourceData ? certificateId : null,
            LatestSupportedTlsVersion = SubscriptionRequestRules.Text(body, "latestSupportedTlsVersion") ?? "v1_2",
            NotificationQueryOptions = SubscriptionRequestRules.Text(body, "notificationQueryOptions"),
            NotificationUrlAppId = SubscriptionRequestRules.Text(body, "notificationUrlAppId"),
            ResourceKind = rule.Name,
            EndpointTokenExpiresAt = now + options.EndpointTokenLifetime,
            CreatedAt = now,
        };
        if (registry.TryAdd(subscription) is { } raced)
        {
            return (null, Conflict(raced));
        }

        LogCreated(logger, subscription.Id, subscription.Resource, subscription.ChangeType, subscription.ExpirationDateTime);
        return (subscription, null);
    }

    public async Task<(EmulatedSubscription? Subscription, GraphFailure? Failure)> UpdateAsync(Guid id, JsonObject body, CancellationToken cancellationToken)
    {
        var current = registry.Find(id);
        if (current is null)
        {
            return (null, NotFound);
        }

        if (body.ContainsKey("lifecycleNotificationUrl"))
        {
            return (null, GraphFailure.BadRequest("lifecycleNotificationUrl can only be set when the subscription is created. Delete the subscription and create it again."));
        }

        var rule = ResourceRules.Find(current.Resource)!;
        var expiration = current.ExpirationDateTime;
        var expirationText = SubscriptionRequestRules.Text(body, "expirationDateTime");
        if (expirationText is not null && rules.ReadExpiration(expirationText, rule, current.IncludeResourceData, out expiration) is { } badExpiration)
        {
            return (null, badExpiration);
        }

        if (rules.ReadUrl(SubscriptionRequestRules.Text(body, "notificationUrl"), "notificationUrl", out var notificationUrl) is { } badUrl)
        {
            return (null, badUrl);
        }

        var failure = rules.CheckTeamsLifecycleUrl(rule, expiration, current.LifecycleNotificationUrl);
        if (failure is null && notificationUrl is not null && notificationUrl != current.NotificationUrl)
        {
            failure = await HandshakeAsync(notificationUrl, cancellationToken);
        }

        if (failure is not null)
        {
            return (null, failure);
        }

        var certificate = SubscriptionRequestRules.Text(body, "encryptionCertificate");
        var certificateId = SubscriptionRequestRules.Text(body, "encryptionCertificateId");
        if (certificate is not null || certificateId is not null)
        {
            failure = SubscriptionRequestRules.CheckResourceData(
                rule, current.Resource, current.IncludeResourceData, certificate ?? current.EncryptionCertificate, certificateId ?? current.EncryptionCertificateId);
            if (failure is not null)
            {
                return (null, failure);
            }
        }

        var now = options.TimeProvider.GetUtcNow();
        var updated = registry.Update(id, s => s with
        {
            ExpirationDateTime = expiration,
            NotificationUrl = notificationUrl ?? s.NotificationUrl,
            EncryptionCertificate = certificate ?? s.EncryptionCertificate,
            EncryptionCertificateId = certificateId ?? s.EncryptionCertificateId,
            EndpointTokenExpiresAt = now + options.EndpointTokenLifetime,
            ReauthorizationRequestedAt = null,
        });
        if (updated is null)
        {
            return (null, NotFound);
        }

        LogUpdated(logger, id, updated.ExpirationDateTime);
        return (updated, null);
    }

    public bool Delete(Guid id)
    {
        var removed = registry.Remove(id);
        if (removed)
        {
            LogDeleted(logger, id);
        }

        return removed;
    }

    public bool Reauthorize(Guid id)
    {
        var now = options.TimeProvider.GetUtcNow();
        var updated = registry.Update(id, s => s with
        {
            EndpointTokenExpiresAt = now + options.EndpointTokenLifetime,
            ReauthorizationRequestedAt = null,
        });
        if (updated is not null)
        {
            LogReauthorized(logger, id);
        }

        return updated is not null;
    }

    private static GraphFailure Conflict(EmulatedSubscription existing) =>
        new(StatusCodes.Status409Conflict, "Conflict", $"Subscription Id {existing.Id} already exists for the requested combination");

    private async Task<GraphFailure?> HandshakeAsync(Uri url, CancellationToken cancellationToken) =>
        await handshake.ValidateAsync(url, cancellationToken) switch
        {
            HandshakeResult.Valid => null,
            HandshakeResult.Mismatch => GraphFailure.BadRequest("Subscription validation request failed. Response must exactly match validationToken query parameter."),
            HandshakeResult.TimedOut => GraphFailure.BadRequest("Subscription validation request timed out."),
            _ => GraphFailure.BadRequest("Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request."),
        };

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Emulator created subscription {SubscriptionId} for {Resource} ({ChangeType}), expires {ExpirationDateTime:O}")]
    private static partial void LogCreated(ILogger logger, Guid subscriptionId, string resource, string changeType, DateTimeOffset expirationDateTime);

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Emulator updated subscription {SubscriptionId}, expires {ExpirationDateTime:O}")]
    private static partial void LogUpdated(ILogger logger, Guid subscriptionId, DateTimeOffset expirationDateTime);

    [LoggerMessage(EventId = 302, Level = LogLevel.Information, Message = "Emulator deleted subscription {SubscriptionId}")]
    private static partial void LogDeleted(ILogger logger, Guid subscriptionId);

    [LoggerMessage(EventId = 303, Level = LogLevel.Information, Message = "Emulator reauthorized subscription {SubscriptionId}")]
    private static partial void LogReauthorized(ILogger logger, Guid subscriptionId);

    [LoggerMessage(EventId = 304, Level = LogLevel.Information, Message = "Emulator refused {Method} {Path}: {StatusCode} {Reason}")]
    private static partial void LogRefused(ILogger logger, string method, string path, int statusCode, string reason);
}
