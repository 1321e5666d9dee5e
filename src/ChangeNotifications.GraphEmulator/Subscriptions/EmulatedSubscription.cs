namespace ChangeNotifications.GraphEmulator.Subscriptions;

/// <summary>One subscription the emulator holds. The clientState is a secret of the subscriber: never logged.</summary>
public sealed record EmulatedSubscription
{
    public required Guid Id { get; init; }

    public required string Resource { get; init; }

    /// <summary>As the subscriber sent it (<c>created,updated</c>).</summary>
    public required string ChangeType { get; init; }

    public required IReadOnlySet<string> ChangeTypes { get; init; }

    public required Uri NotificationUrl { get; init; }

    public Uri? LifecycleNotificationUrl { get; init; }

    public required DateTimeOffset ExpirationDateTime { get; init; }

    public string? ClientState { get; init; }

    public required string ApplicationId { get; init; }

    public required string CreatorId { get; init; }

    public bool IncludeResourceData { get; init; }

    /// <summary>Base64 DER of the subscriber's public certificate (rich notifications).</summary>
    public string? EncryptionCertificate { get; init; }

    public string? EncryptionCertificateId { get; init; }

    public string LatestSupportedTlsVersion { get; init; } = "v1_2";

    public string? NotificationQueryOptions { get; init; }

    public string? NotificationUrlAppId { get; init; }

    /// <summary>The name of the emulator's resource rule the resource matched (<c>message</c>, <c>chatMessage</c>, …).</summary>
    public required string ResourceKind { get; init; }

    /// <summary>When the endpoint's token runs out; nothing is delivered after it until a PATCH or reauthorize.</summary>
    public required DateTimeOffset EndpointTokenExpiresAt { get; init; }

    /// <summary>When <c>reauthorizationRequired</c> was last sent since the last renewal; null if not yet.</summary>
    public DateTimeOffset? ReauthorizationRequestedAt { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public override string ToString() =>
        $"EmulatedSubscription {{ Id = {Id}, Resource = {Resource}, ChangeType = {ChangeType}, ExpirationDateTime = {ExpirationDateTime:O} }}";
}
