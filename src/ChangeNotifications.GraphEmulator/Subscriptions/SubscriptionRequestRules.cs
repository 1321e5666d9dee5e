using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChangeNotifications.GraphEmulator.Hosting;
using Microsoft.AspNetCore.Http;

namespace ChangeNotifications.GraphEmulator.Subscriptions;

/// <summary>Graph's checks of a subscription's properties on create and update.</summary>
internal sealed class SubscriptionRequestRules(GraphEmulatorOptions options)
{
    public const int MaxClientStateLength = 128;
    private static readonly TimeSpan MinimumLifetime = TimeSpan.FromMinutes(45);
    private static readonly TimeSpan TeamsLifetimeWithoutLifecycleUrl = TimeSpan.FromHours(1);

    public static async Task<(JsonObject? Body, GraphFailure? Failure)> ReadBodyAsync(HttpRequest request)
    {
        try
        {
            var node = await JsonNode.ParseAsync(
                request.Body,
                new JsonNodeOptions { PropertyNameCaseInsensitive = true },
                cancellationToken: request.HttpContext.RequestAborted);
            return node is JsonObject body
                ? (body, null)
                : (null, new GraphFailure(StatusCodes.Status400BadRequest, "BadRequest", "Empty Payload. JSON content expected."));
        }
        catch (JsonException)
        {
            return (null, new GraphFailure(StatusCodes.Status400BadRequest, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format."));
        }
    }

    public static string? Text(JsonObject body, string property)
    {
        var node = body[property];
        return node switch
        {
            null => null,
            JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
            _ => node.ToJsonString(),
        };
    }

    public static bool Flag(JsonObject body, string property) =>
        body[property] is JsonValue value && value.GetValueKind() == JsonValueKind.True;

    public static GraphFailure? Required(JsonObject body, string property) =>
        string.IsNullOrWhiteSpace(Text(body, property))
            ? GraphFailure.BadRequest($"{property} is a required property for subscription creation.")
            : null;

    public GraphFailure? ReadUrl(string? value, string property, out Uri? url)
    {
        url = null;
        if (value is null)
        {
            return null;
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var parsed) || (parsed.Scheme != Uri.UriSchemeHttps && parsed.Scheme != Uri.UriSchemeHttp))
        {
            return GraphFailure.BadRequest($"Invalid {property} '{value}'. The emulator delivers to HTTPS URLs only (no EventHub or EventGrid).");
        }

        if (parsed.Scheme == Uri.UriSchemeHttp && !(options.AllowHttpLoopbackNotificationUrls && IsLoopback(parsed)))
        {
            return GraphFailure.BadRequest($"The {property} must be an HTTPS URL: '{value}'.");
        }

        url = parsed;
        return null;
    }

    public static GraphFailure? ReadChangeTypes(string value, ResourceRule rule, string resource, out IReadOnlySet<string> changeTypes)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        changeTypes = set;
        foreach (var part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var changeType = part.ToLowerInvariant();
            if (changeType is not ("created" or "updated" or "deleted"))
            {
                return GraphFailure.BadRequest($"Invalid changeType '{part}'. Valid values are created, updated and deleted.");
            }

            if (!rule.ChangeTypes.Contains(changeType))
            {
                return GraphFailure.BadRequest(
                    $"The changeType '{changeType}' is not supported for resource '{resource}'. Supported change types: {string.Join(", ", rule.ChangeTypes.Order(StringComparer.Ordinal))}.");
            }

            set.Add(changeType);
        }

        return set.Count == 0 ? GraphFailure.BadRequest("changeType is a required property for subscription creation.") : null;
    }

    /// <summary>Past the resource's maximum → 400; under 45 minutes ahead → raised to 45 minutes.</summary>
    public GraphFailure? ReadExpiration(string value, ResourceRule rule, bool includeResourceData, out DateTimeOffset expiration)
    {
        expiration = default;
        if (!DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var requested))
        {
            return GraphFailure.BadRequest($"Cannot convert the literal '{value}' to the expected type 'Edm.DateTimeOffset'.");
        }

        var now = options.TimeProvider.GetUtcNow();
        var maximum = rule.MaxLifetimeFor(includeResourceData);
        if (requested > now + maximum)
        {
            return new GraphFailure(
                StatusCodes.Status400BadRequest,
                "ExtensionError",
                $"Subscription expiration can only be {(int)maximum.TotalMinutes} minutes in the future.");
        }

        expiration = requested < now + MinimumLifetime ? now + MinimumLifetime : requested;
        return null;
    }

    public GraphFailure? CheckTeamsLifecycleUrl(ResourceRule rule, DateTimeOffset expiration, Uri? lifecycleUrl) =>
        rule.IsTeams && lifecycleUrl is null && expiration > options.TimeProvider.GetUtcNow() + TeamsLifetimeWithoutLifecycleUrl
            ? GraphFailure.BadRequest("lifecycleNotificationUrl is a required property for subscription creation on this resource when the expirationDateTime value is set to greater than 1 hour.")
            : null;

    public static GraphFailure? CheckResourceData(ResourceRule rule, string resource, bool includeResourceData, string? certificate, string? certificateId)
    {
        if (!includeResourceData)
        {
            return null;
        }

        if (!rule.SupportsResourceData)
        {
            return GraphFailure.BadRequest($"includeResourceData is not supported for resource '{resource}'.");
        }

        if (string.IsNullOrWhiteSpace(certificate))
        {
            return GraphFailure.BadRequest("encryptionCertificate is a required property for subscription creation on this resource when the includeResourceData flag is set to true.");
        }

        if (string.IsNullOrWhiteSpace(certificateId))
        {
            return GraphFailure.BadRequest("encryptionCertificateId is a required property for subscription creation on this resource when the includeResourceData flag is set to true.");
        }

        if (certificateId.Length > 128)
        {
            return GraphFailure.BadRequest("encryptionCertificateId must be at most 128 characters long.");
        }

        return CheckCertificate(certificate);
    }

    public static GraphFailure? CheckClientState(string? clientState) =>
        clientState is { Length: > MaxClientStateLength }
            ? GraphFailure.BadRequest($"clientState must be at most {MaxClientStateLength} characters long.")
            : null;

    private static GraphFailure? CheckCertificate(string base64)
    {
        try
        {
            using var certificate = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(base64));
            using var rsa = certificate.GetRSAPublicKey();
            return rsa is { KeySize: >= 2048 and <= 4096 }
                ? null
                : GraphFailure.BadRequest("encryptionCertificate must hold an RSA public key of 2048 to 4096 bits.");
        }
        catch (Exception e) when (e is FormatException or CryptographicException)
        {
            return GraphFailure.BadRequest("encryptionCertificate is not a valid base64-encoded X.509 certificate.");
        }
    }

    private static bool IsLoopback(Uri url) =>
        url.IsLoopback || (IPAddress.TryParse(url.Host, out var address) && IPAddress.IsLoopback(address));
}
