namespace ChangeNotifications.Subscriptions;

/// <summary>What an operator can ask of the reconciler for one subscription.</summary>
internal enum SubscriptionRequest
{
    /// <summary>Renew now, whether or not renewal is due (within Graph's separation from a reauthorize, as soon as it allows).</summary>
    Renew = 0,

    /// <summary>Have the handler of its resource type catch up (delta or list), as after <c>missed</c>.</summary>
    Resync = 1,

    /// <summary>Try it again now: a failure's backoff or a Retry-After is not waited out.</summary>
    Reconcile = 2,
}

/// <summary>
/// Operators' requests to the reconciler. A request is recorded on the stored subscription record (so the instance that
/// reconciles acts on it, also after a restart) and wakes this process's reconciler; the work runs in its pass, never in
/// the caller.
/// </summary>
internal interface ISubscriptionRequests
{
    /// <summary>Records <paramref name="request"/> on the record of <paramref name="key"/> and wakes the reconciler; the
    /// record as stored, or null when no record has that key.</summary>
    Task<SubscriptionRecord?> RequestAsync(string key, SubscriptionRequest request, CancellationToken cancellationToken);

    /// <summary>Wakes the reconciler for a pass over every subscription.</summary>
    void Wake();
}
