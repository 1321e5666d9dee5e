using System.Net.Http.Headers;
using Azure.Core;
using ChangeNotifications.Graph;
using ChangeNotifications.Graph.Emulator;
using ChangeNotifications.GraphEmulator.Control;
using ChangeNotifications.GraphEmulator.Hosting;
using Microsoft.Graph;

namespace ChangeNotifications.Tests.Infrastructure;

/// <summary>
/// The one set-up of the Graph emulator for tests: the emulator on a dynamic loopback port with a ready <see cref="GraphServiceClient"/> that goes through the
/// real <c>ClientSecretCredential</c> and the emulator's token endpoint. Use as an xunit class fixture (system
/// clock, defaults) or start one with your own options: <c>await using var e = await EmulatorFixture.StartAsync(o => o.TimeProvider = time);</c>.
/// Http notification URLs on loopback are allowed. A shared fixture keeps subscriptions between tests: call
/// <see cref="EmulatorControl.Reset"/> or use distinct resources. When a FakeTimeProvider is advanced past
/// <see cref="GraphEmulatorOptions.AccessTokenLifetime"/>, the client's cached token (cached on the real clock)
/// is refused with 401: give a longer lifetime for such tests.
/// </summary>
public sealed class EmulatorFixture : IAsyncLifetime, IAsyncDisposable
{
    private GraphEmulatorServer? _server;
    private GraphServiceClient? _graph;

    public GraphEmulatorServer Server => _server ?? throw new InvalidOperationException("The emulator has not started.");

    public GraphServiceClient Graph => _graph ?? throw new InvalidOperationException("The emulator has not started.");

    public EmulatorControl Control => Server.Control;

    public static async Task<EmulatorFixture> StartAsync(Action<GraphEmulatorOptions>? configure = null)
    {
        var fixture = new EmulatorFixture();
        await fixture.StartCoreAsync(configure);
        return fixture;
    }

    /// <summary>Another client, e.g. with another credential (<see cref="EmulatorGraphClient.CreateCredential"/>).</summary>
    public GraphServiceClient CreateGraphClient(TokenCredential? credential = null) => EmulatorGraphClient.Create(Server, credential);

    /// <summary>Plain HTTP to the emulator (its certificate trusted, relative URIs against its base address), no token.</summary>
    public HttpClient CreateHttpClient() => new(Server.CreateTrustingHandler()) { BaseAddress = Server.BaseAddress };

    /// <summary>Plain HTTP to the emulator with a bearer token from its token endpoint: for asserting on raw JSON.</summary>
    public async Task<HttpClient> CreateAuthorizedHttpClientAsync()
    {
        var token = await EmulatorGraphClient.CreateCredential(Server)
            .GetTokenAsync(new TokenRequestContext([GraphClientBuilder.GraphScope]), CancellationToken.None);
        var http = CreateHttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Token);
        return http;
    }

    public Task InitializeAsync() => StartCoreAsync(null);

    public async Task DisposeAsync()
    {
        _graph?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    ValueTask IAsyncDisposable.DisposeAsync() => new(DisposeAsync());

    private async Task StartCoreAsync(Action<GraphEmulatorOptions>? configure)
    {
        var options = new GraphEmulatorOptions { Port = 0, AllowHttpLoopbackNotificationUrls = true };
        configure?.Invoke(options);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        _server = await GraphEmulatorServer.StartAsync(options, timeout.Token);
        _graph = EmulatorGraphClient.Create(_server);
    }
}
