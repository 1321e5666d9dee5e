namespace ChangeNotifications.Subscriptions;

/// <summary>
/// Which instance may reconcile: only the holder of the lease calls Graph or writes subscriptions, so instances
/// sharing one store never create, renew or delete the same subscription twice.
/// </summary>
internal interface ILeaderLease
{
    /// <summary>True while this instance holds the lease (acquiring or extending it as needed).</summary>
    ValueTask<bool> HoldsAsync(CancellationToken cancellationToken);
}

/// <summary>A store only one instance uses: that instance always leads.</summary>
internal sealed class SingleNodeLeaderLease : ILeaderLease
{
    public ValueTask<bool> HoldsAsync(CancellationToken cancellationToken) => ValueTask.FromResult(true);
}
