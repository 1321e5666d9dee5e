using System.Net;
using System.Text.Json;
using ChangeNotifications.Admin;
using ChangeNotifications.Subscriptions;
using ChangeNotifications.Tests.Infrastructure;

namespace ChangeNotifications.Tests.Admin;

/// <summary>The admin API of an in-process service, called with an admin token from its emulator; answers as JSON.</summary>
internal sealed class AdminClient(HttpClient http) : IDisposable
{
    public HttpClient Http { get; } = http;

    public static async Task<AdminClient> CreateAsync(ServiceFactory service) =>
        new(service.CreateClient().WithToken(await AdminTokens.GetAsync(service.Services)));

    public async Task<JsonElement> GetAsync(string pathAndQuery, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await Http.GetAsync(Relative(pathAndQuery));
        return await ReadAsync(response, expected);
    }

    public async Task<JsonElement> PostAsync(string pathAndQuery, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await Http.PostAsync(Relative(pathAndQuery), content: null);
        return await ReadAsync(response, expected);
    }

    /// <summary>Posts one change notification of <paramref name="subscription"/> to the webhook (one item, one row).</summary>
    public async Task NotifyAsync(SubscriptionRecord subscription, string? messageId = null)
    {
        using var response = await Http.PostAsync(new Uri("/api/notifications", UriKind.Relative), Payloads.Json(Payloads.Batch(Payloads.Item(subscription, messageId: messageId))));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    public void Dispose() => Http.Dispose();

    private static Uri Relative(string pathAndQuery) => new(AdminEndpoints.Prefix + pathAndQuery, UriKind.Relative);

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {body}");
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
    }
}

internal static class AdminJson
{
    public static List<long> Ids(this JsonElement page) =>
        [.. page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetInt64())];

    public static string? Text(this JsonElement element, string name) =>
        element.GetProperty(name).ValueKind == JsonValueKind.Null ? null : element.GetProperty(name).GetString();
}
