namespace ChangeNotifications.Subscriptions;

/// <summary>
/// Which instance may reconcile: only the holder of the lease calls Graph or writes subscriptions, so instances
/// sharing one store never create, renew or delete the same subscription twice.
/// </summary>
internal interface ILeaderLease
{
    /// <summary>True while this instance holds the lease (acquiring or extending it as needed).</summary>
    ValueTask<bool> HoldsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Cancelled the moment the lease this instance holds is lost (its connection gone), so work under way stops at
    /// once instead of renewing beside the next leader. Read it after <see cref="HoldsAsync"/> answered true.
    /// </summary>
    CancellationToken Lost => CancellationToken.None;

    /// <summary>
    /// How often the reconciler looks again between passes when leadership can move: an instance without the lease
    /// tries to take it, the leader picks up intentions other instances recorded. Null: leadership never moves.
    /// </summary>
    TimeSpan? PollInterval => null;
}

/// <summary>A store only one instance uses: that instance always leads.</summary>
internal sealed class SingleNodeLeaderLease : ILeaderLease
{
    public ValueTask<bool> HoldsAsync(CancellationToken cancellationToken) => ValueTask.FromResult(true);
}
