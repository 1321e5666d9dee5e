using System.Net.Http.Headers;
using System.Text.Json;
using ChangeNotifications.Graph.Emulator;
using ChangeNotifications.GraphEmulator.Hosting;
using ChangeNotifications.GraphEmulator.Tenant;
using Microsoft.Extensions.DependencyInjection;

namespace ChangeNotifications.Tests.Admin;

/// <summary>Admin API tokens from the service's own emulator, over HTTPS with the client-credentials grant (as curl gets them).</summary>
internal static class AdminTokens
{
    public static async Task<string> GetAsync(IServiceProvider services, string clientId = SeedIds.AdminClientId, string secret = SeedIds.AdminClientSecret)
    {
        var emulator = await services.GetRequiredService<EmulatorHost>().GetServerAsync();
        return await GetAsync(emulator, clientId, secret);
    }

    public static async Task<string> GetAsync(GraphEmulatorServer emulator, string clientId, string secret)
    {
        using var http = new HttpClient(emulator.CreateTrustingHandler()) { BaseAddress = emulator.BaseAddress };
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["client_secret"] = secret,
            ["scope"] = $"api://{emulator.ClientId}/.default",
        });
        using var response = await http.PostAsync(new Uri($"{emulator.TenantId}/oauth2/v2.0/token", UriKind.Relative), form);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("access_token").GetString()!;
    }

    public static HttpClient WithToken(this HttpClient client, string token)
    {
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
