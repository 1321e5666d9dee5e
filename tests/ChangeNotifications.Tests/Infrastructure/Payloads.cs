using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using ChangeNotifications.Subscriptions;

namespace ChangeNotifications.Tests.Infrastructure;

/// <summary>
/// Notification bodies as Graph sends them, written by hand: serialising the SDK model loses validationTokens.
/// </summary>
internal static class Payloads
{
    public const string TenantId = "7e1f2c3a-0b4d-4e5f-8a9b-1c2d3e4f5a6b";

    public static string Item(SubscriptionRecord subscription, string changeType = "created", string? messageId = null, string? clientState = null, string? etag = null)
    {
        var id = messageId ?? Guid.NewGuid().ToString("N");
        var tag = etag ?? "W/\"CQAAABYAAAA" + id[..6] + "\"";
        return $$"""
            {
              "id": "{{Guid.NewGuid():N}}",
              "subscriptionId": "{{subscription.GraphId}}",
              "subscriptionExpirationDateTime": "{{subscription.ExpiresAt?.ToString("O", CultureInfo.InvariantCulture)}}",
              "clientState": "{{clientState ?? subscription.ClientState}}",
              "changeType": "{{changeType}}",
              "resource": "Users/5b0c9a6d-1e2f-4a3b-8c4d-9e0f1a2b3c4d/Messages/{{id}}",
              "tenantId": "{{TenantId}}",
              "resourceData": {
                "@odata.type": "#Microsoft.Graph.Message",
                "@odata.id": "Users/5b0c9a6d-1e2f-4a3b-8c4d-9e0f1a2b3c4d/Messages/{{id}}",
                "@odata.etag": "{{tag.Replace("\"", "\\\"", StringComparison.Ordinal)}}",
                "id": "{{id}}"
              }
            }
            """;
    }

    public static string Lifecycle(SubscriptionRecord subscription, string lifecycleEvent) => $$"""
        {
          "subscriptionId": "{{subscription.GraphId}}",
          "subscriptionExpirationDateTime": "{{subscription.ExpiresAt?.ToString("O", CultureInfo.InvariantCulture)}}",
          "tenantId": "{{TenantId}}",
          "clientState": "{{subscription.ClientState}}",
          "lifecycleEvent": "{{lifecycleEvent}}"
        }
        """;

    public static string Batch(params string[] items) => $$"""{ "value": [ {{string.Join(",", items)}} ] }""";

    public static StringContent Json(string body)
    {
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return content;
    }
}
