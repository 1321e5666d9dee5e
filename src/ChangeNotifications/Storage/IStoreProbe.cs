namespace ChangeNotifications.Storage;

/// <summary>
/// What health needs of the store, read in a few cheap queries: whether it is reachable and its tables are there,
/// and how much work waits in the inbox. A store that cannot be reached answers with <see cref="StoreProbe.Problem"/>
/// (or throws); the health check reports either as the <c>store</c> check's reason.
/// </summary>
internal interface IStoreProbe
{
    Task<StoreProbe> ProbeAsync(CancellationToken cancellationToken);
}

/// <param name="Problem">Null when the store is reachable and migrated; else why not, in words an operator can act on.</param>
/// <param name="Backlog">Items stored and not handled yet: ready, waiting for a retry, or claimed.</param>
/// <param name="OldestBacklogAt">When the oldest of them was received; null when there are none.</param>
/// <param name="DeadLetters">Dead-lettered items (kept until replayed).</param>
internal sealed record StoreProbe(string? Problem, long Backlog, DateTimeOffset? OldestBacklogAt, long DeadLetters)
{
    public static StoreProbe Unreachable(string problem) => new(problem, 0, null, 0);
}
