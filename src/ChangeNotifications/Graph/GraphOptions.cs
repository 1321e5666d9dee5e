using Microsoft.Extensions.Options;
using Microsoft.Identity.Web;

namespace ChangeNotifications.Graph;

/// <summary>
/// Settings of section <c>Graph</c>. <c>Emulator</c> (default): the built-in Graph emulator on loopback, no credentials
/// needed. <c>Live</c>: Microsoft Graph with app credentials — TenantId, ClientId and exactly one of ClientSecret,
/// ClientCertificate or ManagedIdentity.
/// </summary>
internal sealed class GraphOptions
{
    public const string Section = "Graph";

    public static readonly Uri LiveBaseUrl = new("https://graph.microsoft.com/v1.0");

    public GraphMode Mode { get; set; } = GraphMode.Emulator;

    /// <summary>Live only; defaults to <c>https://graph.microsoft.com/v1.0</c>. Emulator mode uses the emulator's.</summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>Live: the directory (tenant) id or domain. Emulator: optional, the seeded tenant by default.</summary>
    public string? TenantId { get; set; }

    /// <summary>
    /// The tenants (ids, GUIDs) rich notifications' validation tokens are accepted from, for a multi-tenant app; empty:
    /// <see cref="TenantId"/> alone (required here when that is a domain name and rich notifications are configured).
    /// </summary>
    public List<string> AllowedTenantIds { get; set; } = [];

    /// <summary>
    /// Live: the app (client) id; optional with <see cref="ManagedIdentity"/> unless rich notifications check their
    /// tokens against it. Emulator: optional, the seeded app by default.
    /// </summary>
    public string? ClientId { get; set; }

    /// <summary>Live credential: a client secret (keep it in user secrets or the environment, never in appsettings).</summary>
    public string? ClientSecret { get; set; }

    /// <summary>Live credential: a certificate (Microsoft.Identity.Web's description: Path, Base64Encoded, StoreWithThumbprint, KeyVault, …).</summary>
    public CertificateDescription? ClientCertificate { get; set; }

    /// <summary>Live credential: the managed identity of the host (system-assigned unless <see cref="ManagedIdentityClientId"/>).</summary>
    public bool ManagedIdentity { get; set; }

    /// <summary>With <see cref="ManagedIdentity"/>: the client id of a user-assigned identity; empty: the system-assigned one.</summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>Live: the Entra authority host; defaults to <c>https://login.microsoftonline.com/</c>.</summary>
    public Uri? AuthorityHost { get; set; }

    [ValidateObjectMembers]
    public GraphEmulatorSettings Emulator { get; set; } = new();
}

/// <summary>The simple bounds of <see cref="GraphOptions"/>, from its DataAnnotations attributes.</summary>
[OptionsValidator]
internal sealed partial class GraphOptionsBoundsValidator : IValidateOptions<GraphOptions>;

internal enum GraphMode
{
    Emulator,
    Live,
}

/// <summary>Settings of section <c>Graph:Emulator</c> (Emulator mode only).</summary>
internal sealed class GraphEmulatorSettings
{
    /// <summary>
    /// An emulator already running in a process of its own (<c>dotnet run --project src/ChangeNotifications.GraphEmulator</c>),
    /// e.g. <c>https://127.0.0.1:5443/</c>: several instances then share one tenant and its subscriptions. Unset: the
    /// service starts its own emulator in-process.
    /// </summary>
    public Uri? Url { get; set; }

    /// <summary>With <see cref="Url"/>: the SHA-256 of that emulator's self-signed TLS certificate (hex, as it prints it), the one certificate trusted for it.</summary>
    public string? CertificateSha256 { get; set; }

    /// <summary>Loopback port of the emulator; 0 picks a free one.</summary>
    public int Port { get; set; }

    /// <summary>Time between generated changes per subscription; unset: changes only on demand.</summary>
    [SettingRange(typeof(TimeSpan), "00:00:00", SettingRangeAttribute.MaxTimeSpan, MinimumIsExclusive = true, ErrorMessage = $"{GraphOptions.Section}:Emulator:ChangePace must be positive when set.")]
    public TimeSpan? ChangePace { get; set; }

    /// <summary>
    /// Lifetime of the emulator's access tokens, on the host's TimeProvider (Entra: about 1 h). The credential caches a
    /// token on the real clock, so tests that advance a FakeTimeProvider past it must lengthen it.
    /// </summary>
    [SettingRange(typeof(TimeSpan), "00:05:00", SettingRangeAttribute.MaxTimeSpan, ErrorMessage = $"{GraphOptions.Section}:Emulator:AccessTokenLifetime must be at least 5 minutes (clients refresh 5 minutes before expiry).")]
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// File, in the service's data folder (that of <c>Storage:SqlitePath</c>, or <c>Storage:DataFolder</c> with PostgreSQL),
    /// the emulator keeps its subscriptions and tenant in, so a restart
    /// finds the subscriptions the store remembers; empty: in memory only (every start is a fresh tenant).
    /// </summary>
    public string? StateFile { get; set; } = "graph-emulator.json";
}
