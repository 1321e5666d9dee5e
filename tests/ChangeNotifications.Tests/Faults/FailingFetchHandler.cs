using System.Collections.Concurrent;
using ChangeNotifications.Dispatching;
using ChangeNotifications.Resources;

namespace ChangeNotifications.Tests.Faults;

/// <summary>
/// A handler double whose Graph fetch fails for a fraction of the resources: each resource id has a fate (how many
/// attempts fail before one succeeds; <see cref="AlwaysFails"/> until <see cref="Heal"/>). Counts every call and every
/// success per resource id.
/// </summary>
internal sealed class FailingFetchHandler(ResourceType type, Func<string, int> failuresFor) : IChangeNotificationHandler
{
    public const int AlwaysFails = int.MaxValue;

    private readonly ConcurrentDictionary<string, int> _attempts = new(StringComparer.Ordinal);
    private volatile bool _healed;
    private int _calls;

    public ResourceType ResourceType => type;

    public int Calls => Volatile.Read(ref _calls);

    public ConcurrentDictionary<string, int> Successes { get; } = new(StringComparer.Ordinal);

    /// <summary>Graph is back: every fetch succeeds from now on.</summary>
    public void Heal() => _healed = true;

    public Task HandleAsync(ChangeNotificationContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        Interlocked.Increment(ref _calls);
        var id = context.ResourceId ?? throw new InvalidOperationException("A notification without a resource id.");
        var attempt = _attempts.AddOrUpdate(id, 1, (_, n) => n + 1);
        if (!_healed && attempt <= failuresFor(id))
        {
            throw new HttpRequestException($"GET {context.Resource} failed: 503 Service Unavailable (attempt {attempt})");
        }

        Successes.AddOrUpdate(id, 1, (_, n) => n + 1);
        return Task.CompletedTask;
    }

    public Task ResyncAsync(ResyncContext context, CancellationToken cancellationToken) => Task.CompletedTask;
}
