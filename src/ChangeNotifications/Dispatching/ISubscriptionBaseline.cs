namespace ChangeNotifications.Dispatching;

/// <summary>
/// A handler that needs state taken before Graph can notify (a delta baseline), or the change behind the first
/// notification would be taken for history. The subscription manager calls <see cref="PrepareAsync"/> before it
/// creates a subscription of the handler's type and when it adopts one; an exception fails that step (it is retried).
/// </summary>
internal interface ISubscriptionBaseline
{
    /// <summary>Takes the state for <paramref name="subscriptionResource"/> when none is kept yet; does nothing otherwise.</summary>
    Task PrepareAsync(string subscriptionResource, CancellationToken cancellationToken);
}
