namespace ChangeNotifications.GraphEmulator.Subscriptions;

/// <summary>
/// What Graph allows for one kind of resource path: the emulator's own table,
/// deliberately separate from the service's catalog so that each checks the other.
/// </summary>
internal sealed record ResourceRule(
    string Name,
    IReadOnlyList<string> Patterns,
    TimeSpan MaxLifetime,
    IReadOnlySet<string> ChangeTypes,
    bool IsTeams = false,
    bool SupportsResourceData = false,
    TimeSpan? MaxLifetimeWithResourceData = null,
    bool SupportsRemovedAndMissed = false)
{
    public TimeSpan MaxLifetimeFor(bool includeResourceData) =>
        includeResourceData && MaxLifetimeWithResourceData is { } rich ? rich : MaxLifetime;
}
