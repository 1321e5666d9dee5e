using ChangeNotifications.GraphEmulator.Hosting;
using ChangeNotifications.GraphEmulator.Tenant;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Graph;

namespace ChangeNotifications.Tests.EmulatorTenant;

/// <summary>
/// The Graph emulator (<see cref="EmulatorFixture"/>: HTTPS on a dynamic loopback port, token endpoint, bearer
/// auth) serving an <see cref="EmulatedTenant"/>, with the real <see cref="GraphServiceClient"/> and a raw
/// <see cref="HttpClient"/> carrying a token from the emulator. A class fixture: one server per test class (its
/// start is the slow part), and <see cref="Reset"/> gives each test a freshly seeded tenant whose clock ticks
/// one second per reading.
/// </summary>
public sealed class TenantHost : IAsyncLifetime
{
    private readonly TenantSwitch _switch = new();
    private EmulatorFixture? _emulator;

    public EmulatedTenant Tenant => _switch.Current;

    /// <summary><c>https://127.0.0.1:{port}/v1.0</c></summary>
    public string BaseUrl => Emulator.Server.GraphBaseUrl.AbsoluteUri.TrimEnd('/');

    public GraphServiceClient Graph => Emulator.Graph;

    /// <summary>The emulator's control API (faults, counters).</summary>
    public ChangeNotifications.GraphEmulator.Control.EmulatorControl Control => Emulator.Control;

    /// <summary>Plain HTTP to the emulator, with a valid bearer token: for asserting on raw JSON.</summary>
    public HttpClient Http { get; private set; } = null!;

    private EmulatorFixture Emulator => _emulator ?? throw new InvalidOperationException("The emulator has not started.");

    /// <summary>A new seeded tenant behind the same server.</summary>
    public EmulatedTenant Reset(int deltaPageSize = 50)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero)) { AutoAdvanceAmount = TimeSpan.FromSeconds(1) };
        _switch.Current = new EmulatedTenant(time, deltaPageSize);
        return _switch.Current;
    }

    public async Task InitializeAsync()
    {
        Reset();
        _emulator = await EmulatorFixture.StartAsync(o => o.Tenant = _switch);
        Http = await _emulator.CreateAuthorizedHttpClientAsync();
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (_emulator is not null)
        {
            await _emulator.DisposeAsync();
        }
    }

    /// <summary>Lets one server serve the tenant of the test that runs now.</summary>
    private sealed class TenantSwitch : IEmulatedTenant, IGraphEndpointContributor
    {
        public EmulatedTenant Current { get; set; } = null!;

        public EmulatedChange? MakeChange(string subscriptionResource, string changeType) => Current.MakeChange(subscriptionResource, changeType);

        public int ExpireDeltaLinks(string resource) => Current.ExpireDeltaLinks(resource);

        public void MapGraphEndpoints(RouteGroupBuilder graph) => graph.MapTenantEndpoints(() => Current);
    }
}
