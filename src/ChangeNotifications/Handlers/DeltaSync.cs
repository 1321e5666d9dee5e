using System.Collections.Concurrent;
using Microsoft.Graph.Models;
using Microsoft.Kiota.Abstractions;

namespace ChangeNotifications.Handlers;

/// <summary>Where a delta round starts when no delta link is stored yet.</summary>
public enum DeltaStart
{
    /// <summary>Take the current delta link (<c>token=latest</c>) and report nothing: no replay of history.</summary>
    Latest,

    /// <summary>Enumerate everything once (a resync with no baseline).</summary>
    Full,
}

/// <summary>
/// Runs one delta round for a key: from the stored delta link, or, with none stored, from
/// <see cref="DeltaStart"/>; follows next links; stores the new delta link only after the whole round was read.
/// Rounds for the same key run one at a time, so two notifications handled at once do not report the same changes twice.
/// </summary>
public sealed partial class DeltaSync(IDeltaLinkStore store, ILogger<DeltaSync> logger)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _rounds = new(StringComparer.Ordinal);

    /// <summary>One delta query: <see cref="First"/> starts it (true: with <c>token=latest</c>), <see cref="Next"/> follows a link.</summary>
    public sealed record Query<TPage>(
        Func<bool, CancellationToken, Task<TPage?>> First,
        Func<string, CancellationToken, Task<TPage?>> Next)
        where TPage : BaseDeltaFunctionResponse;

    public async Task<IReadOnlyList<T>> ReadChangesAsync<TPage, T>(
        string key, DeltaStart start, Query<TPage> query, Func<TPage, List<T>?> items, CancellationToken cancellationToken)
        where TPage : BaseDeltaFunctionResponse
    {
        ArgumentNullException.ThrowIfNull(query);
        var round = _rounds.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
        await round.WaitAsync(cancellationToken);
        try
        {
            return await ReadRoundAsync(key, start, query, items, cancellationToken);
        }
        finally
        {
            round.Release();
        }
    }

    private async Task<IReadOnlyList<T>> ReadRoundAsync<TPage, T>(
        string key, DeltaStart start, Query<TPage> query, Func<TPage, List<T>?> items, CancellationToken cancellationToken)
        where TPage : BaseDeltaFunctionResponse
    {
        var stored = await store.GetAsync(key, cancellationToken);
        var baseline = stored is null && start == DeltaStart.Latest;
        var (changes, deltaLink) = await GraphPages.ReadDeltaAsync(
            ct => stored is null ? query.First(baseline, ct) : query.Next(stored, ct),
            query.Next,
            items,
            cancellationToken);
        if (deltaLink is not null)
        {
            await store.SetAsync(key, deltaLink, cancellationToken);
        }

        if (baseline)
        {
            LogBaseline(logger, key);
            return [];
        }

        return changes;
    }

    /// <summary>A delta query that reads every page by URL with <paramref name="get"/>: the first from <paramref name="first"/>
    /// (which carries the query options), with <see cref="LatestUrl"/> when a round starts from the current delta link.</summary>
    public static Query<TPage> QueryByUrl<TPage>(RequestInformation first, Func<string, CancellationToken, Task<TPage?>> get, string tokenParameter = "token")
        where TPage : BaseDeltaFunctionResponse
    {
        ArgumentNullException.ThrowIfNull(first);
        return new Query<TPage>((latest, ct) => get(latest ? LatestUrl(first, tokenParameter) : first.URI.ToString(), ct), get);
    }

    /// <summary>The URL of <paramref name="request"/> with <c>token=latest</c> (drives, lists) or <c>$deltatoken=latest</c>
    /// (directory objects) added: the start of a delta round that returns no items, only the current delta link.</summary>
    private static string LatestUrl(RequestInformation request, string tokenParameter)
    {
        var uri = request.URI.ToString();
        return uri + (uri.Contains('?', StringComparison.Ordinal) ? "&" : "?") + tokenParameter + "=latest";
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "DeltaBaselineTaken {DeltaKey}: first run, current delta link stored, history not replayed")]
    private static partial void LogBaseline(ILogger logger, string deltaKey);
}
