using Azure.Core;
using ChangeNotifications.GraphEmulator.Tenant;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Graph;
using Microsoft.Graph.Authentication;
using Microsoft.Extensions.Time.Testing;

namespace ChangeNotifications.Tests.EmulatorTenant;

/// <summary>
/// The emulated tenant's endpoints in a minimal loopback WebApplication (port 0), and a real
/// <see cref="GraphServiceClient"/> pointed at it with a dummy token.
/// </summary>
public sealed class TenantHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TenantHost(WebApplication app, EmulatedTenant tenant, string baseUrl, FakeTimeProvider time)
    {
        _app = app;
        Tenant = tenant;
        BaseUrl = baseUrl;
        Time = time;
        var credential = DelegatedTokenCredential.Create((_, _) => new AccessToken("test-token", DateTimeOffset.UtcNow.AddHours(1)));
        var auth = new AzureIdentityAuthenticationProvider(credential, allowedHosts: [new Uri(baseUrl).Host], observabilityOptions: null,
            isCaeEnabled: false, scopes: "https://graph.microsoft.com/.default");
        Graph = new GraphServiceClient(GraphClientFactory.Create(), auth, baseUrl);
        Http = new HttpClient();
    }

    public EmulatedTenant Tenant { get; }

    /// <summary><c>http://127.0.0.1:{port}/v1.0</c></summary>
    public string BaseUrl { get; }

    public GraphServiceClient Graph { get; }

    public HttpClient Http { get; }

    public FakeTimeProvider Time { get; }

    public static async Task<TenantHost> StartAsync(int deltaPageSize = 50)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero)) { AutoAdvanceAmount = TimeSpan.FromSeconds(1) };
        var tenant = new EmulatedTenant(time, deltaPageSize);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapGroup("/v1.0").MapTenantEndpoints(tenant);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TenantHost(app, tenant, $"{address.TrimEnd('/')}/v1.0", time);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
