using ChangeNotifications.GraphEmulator.Tenant;
using Microsoft.Extensions.Logging;

namespace ChangeNotifications.GraphEmulator.Hosting;

/// <summary>
/// How a <see cref="GraphEmulatorServer"/> runs. Every duration and expiry inside the emulator (access tokens,
/// subscription expiry, endpoint tokens, lifecycle events, retries, throttling windows, timeouts) is measured
/// with <see cref="TimeProvider"/>, so a test's FakeTimeProvider drives the service and the emulator together.
/// </summary>
public sealed class GraphEmulatorOptions
{
    /// <summary>Port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; set; }

    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Logs of the emulator; none when null.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// The tenant the change generator asks for changes (and whose Graph endpoints are served when it implements
    /// <see cref="IGraphEndpointContributor"/>). Null: the seeded <see cref="EmulatedTenant"/> on <see cref="TimeProvider"/>.
    /// </summary>
    public IEmulatedTenant? Tenant { get; set; }

    /// <summary>The tenant the token endpoint accepts (and notifications carry).</summary>
    public string TenantId { get; set; } = SeedIds.TenantId;

    /// <summary>The one app registration the token endpoint knows.</summary>
    public string ClientId { get; set; } = SeedIds.ClientId;

    public string ClientSecret { get; set; } = SeedIds.ClientSecret;

    /// <summary>
    /// Client apps that call the app of <see cref="ClientId"/> as an API (client credentials with scope
    /// <c>api://{ClientId}/.default</c>), with the app roles assigned to them: they get signed JWTs as Entra issues
    /// for an API. Seeded: an admin client and a reader client (<see cref="SeedIds"/>).
    /// </summary>
    public List<EmulatedApiClient> ApiClients { get; set; } =
    [
        new(SeedIds.AdminClientId, SeedIds.AdminClientSecret, [SeedIds.AdminRole]),
        new(SeedIds.ReaderClientId, SeedIds.ReaderClientSecret, [SeedIds.ReaderRole]),
    ];

    /// <summary>
    /// People who can sign in on the emulator's authorization endpoint (<c>/{tenant}/oauth2/v2.0/authorize</c>, a plain
    /// form) to the app of <see cref="ClientId"/>, with the app roles assigned to them there: their id tokens carry
    /// those roles. Seeded: Adele (<see cref="SeedIds.AdminRole"/>) and Megan (<see cref="SeedIds.ReaderRole"/>), the
    /// tenant's two users.
    /// </summary>
    public List<EmulatedSignInUser> SignInUsers { get; set; } =
    [
        new("adele@contoso.example", SeedIds.UserPassword, SeedIds.UserId, "Adele Vance", [SeedIds.AdminRole], [SeedIds.GroupId]),
        new("megan@contoso.example", SeedIds.UserPassword, SeedIds.SecondUserId, "Megan Bowen", [SeedIds.ReaderRole], []),
    ];

    /// <summary>Lifetime of access tokens the token endpoint issues (Entra: about 1 h).</summary>
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Lifetime of the token a subscription's endpoint holds; renewed by PATCH or reauthorize (Graph: about 1 h).</summary>
    public TimeSpan EndpointTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long before the endpoint token or the subscription expires <c>reauthorizationRequired</c> is sent.</summary>
    public TimeSpan ReauthorizationLeadTime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Graph accepts http only for HTTPS; this lets loopback http notification URLs through (local runs, tests).</summary>
    public bool AllowHttpLoopbackNotificationUrls { get; set; }

    /// <summary>How long the validation handshake waits for an answer (Graph: 10 s).</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one notification POST waits for an answer (Graph: 10 s).</summary>
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Answers slower than this count as slow (Graph: 3 s).</summary>
    public TimeSpan SlowAnswerThreshold { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Time between two automatic changes per subscription; null: changes only on demand.</summary>
    public TimeSpan? ChangePace { get; set; }

    /// <summary>
    /// A JSON file the emulator keeps its subscriptions and tenant in across restarts: loaded at start (absent: a first
    /// run; unreadable: the start fails naming it), saved at once when a subscription changes, every
    /// <see cref="StateSaveInterval"/> when the tenant changed, and at stop. Null: everything in memory only.
    /// </summary>
    public string? StatePath { get; set; }

    /// <summary>How often tenant changes are saved to <see cref="StatePath"/>.</summary>
    public TimeSpan StateSaveInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Page size of <c>GET /subscriptions</c>.</summary>
    public int SubscriptionsPageSize { get; set; } = 100;

    public DeliveryRetryOptions Retry { get; set; } = new();

    public EndpointThrottlingOptions Throttling { get; set; } = new();
}

/// <summary>A client app of the emulated tenant allowed to call the service's app as an API, with its app roles.</summary>
public sealed record EmulatedApiClient(string ClientId, string ClientSecret, IReadOnlyList<string> Roles);

/// <summary>A person of the emulated tenant who may sign in to the service's app, with its app roles and group ids.</summary>
public sealed record EmulatedSignInUser(
    string UserName, string Password, string ObjectId, string DisplayName, IReadOnlyList<string> Roles, IReadOnlyList<string> Groups);

/// <summary>Retries of a failed notification POST: exponential backoff, bounded by attempts and by age (Graph: 4 h).</summary>
public sealed class DeliveryRetryOptions
{
    public TimeSpan InitialDelay { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMinutes(10);

    public int MaxAttempts { get; set; } = 12;

    public TimeSpan MaxAge { get; set; } = TimeSpan.FromHours(4);
}

/// <summary>Graph's per-endpoint slow / drop states.</summary>
public sealed class EndpointThrottlingOptions
{
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Answers an endpoint must have given in the window before its percentages count.</summary>
    public int MinimumSamples { get; set; } = 10;

    /// <summary>Above this share of slow answers new notifications are delayed.</summary>
    public double SlowRatio { get; set; } = 0.10;

    /// <summary>Above this share of failed or timed-out answers new notifications are dropped.</summary>
    public double DropRatio { get; set; } = 0.15;

    /// <summary>How long new notifications wait in the slow state.</summary>
    public TimeSpan SlowDelay { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long new notifications are dropped in the drop state.</summary>
    public TimeSpan DropPeriod { get; set; } = TimeSpan.FromMinutes(10);
}
