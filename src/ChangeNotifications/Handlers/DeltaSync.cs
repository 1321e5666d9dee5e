using System.Collections.Concurrent;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Kiota.Abstractions;

namespace ChangeNotifications.Handlers;

/// <summary>Where a delta round starts when no delta link is stored yet.</summary>
internal enum DeltaStart
{
    /// <summary>Take the current delta link (<c>token=latest</c>) and report nothing: no replay of history.</summary>
    Latest,

    /// <summary>Enumerate everything once (a resync with no baseline).</summary>
    Full,

    /// <summary>As <see cref="Latest"/> when no link is stored; with one stored, read nothing: the baseline a
    /// subscription needs before Graph can notify, taken once.</summary>
    BaselineOnly,
}

/// <summary>
/// Runs one delta round for a key: from the stored delta link, or, with none stored, from
/// <see cref="DeltaStart"/>; follows next links; stores the new delta link only after the whole round was read.
/// Links are stored relative to the Graph base URL and resolved against the current one, so a link survives a
/// new base address (the emulator's port changes at each start). A stored link Graph answers with 410 Gone
/// (expired, or unknown to it) is not tried again: the round starts over with a full enumeration, which is
/// logged as a resync with Graph's reason.
/// Rounds for the same key run one at a time, so two notifications handled at once do not report the same changes twice.
/// </summary>
internal sealed partial class DeltaSync(IDeltaLinkStore store, ILogger<DeltaSync> logger)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _rounds = new(StringComparer.Ordinal);

    /// <summary>One delta query: <see cref="First"/> starts it (true: with <c>token=latest</c>), <see cref="Next"/> follows
    /// a link; <see cref="BaseUrl"/> is the Graph base URL the links are stored relative to (null: stored as given).</summary>
    public sealed record Query<TPage>(
        Func<bool, CancellationToken, Task<TPage?>> First,
        Func<string, CancellationToken, Task<TPage?>> Next,
        string? BaseUrl = null)
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
        var stored = DeltaLinkAddress.Resolve(await store.GetAsync(key, cancellationToken), query.BaseUrl);
        if (stored is not null && start == DeltaStart.BaselineOnly)
        {
            return [];
        }

        var baseline = stored is null && start != DeltaStart.Full;
        List<T> changes;
        string? deltaLink;
        try
        {
            (changes, deltaLink) = await GraphPages.ReadDeltaAsync(
                ct => stored is null ? query.First(baseline, ct) : query.Next(stored, ct),
                query.Next,
                items,
                cancellationToken);
        }
        catch (ODataError error) when (stored is not null && IsResyncRequired(error))
        {
            // The stored link is dead for good: enumerate from scratch (what Graph's Location points at) and report
            // everything found, so the change behind this round is not lost.
            LogResyncRequired(logger, key, error.ResponseStatusCode, error.Error?.Code ?? "unknown");
            (changes, deltaLink) = await GraphPages.ReadDeltaAsync(ct => query.First(false, ct), query.Next, items, cancellationToken);
        }

        if (deltaLink is not null)
        {
            await store.SetAsync(key, DeltaLinkAddress.Relative(deltaLink, query.BaseUrl), cancellationToken);
        }

        if (baseline)
        {
            LogBaseline(logger, key);
            return [];
        }

        return changes;
    }

    /// <summary>Graph's answer to a delta link it no longer serves: 410 Gone (drives, lists, Outlook), or
    /// 400 <c>syncStateNotFound</c> / <c>resyncRequired</c> (directory objects after the token's lifetime).</summary>
    private static bool IsResyncRequired(ODataError error) =>
        error.ResponseStatusCode == StatusCodes.Status410Gone
        || (error.ResponseStatusCode == StatusCodes.Status400BadRequest
            && error.Error?.Code is { } code
            && (code.Equals("syncStateNotFound", StringComparison.OrdinalIgnoreCase) || code.Equals("resyncRequired", StringComparison.OrdinalIgnoreCase)));

    /// <summary>A delta query that reads every page by URL with <paramref name="get"/>: the first from <paramref name="first"/>
    /// (which carries the query options and the client's base URL), with <see cref="LatestUrl"/> when a round starts
    /// from the current delta link.</summary>
    public static Query<TPage> QueryByUrl<TPage>(RequestInformation first, Func<string, CancellationToken, Task<TPage?>> get, string tokenParameter = "token")
        where TPage : BaseDeltaFunctionResponse
    {
        ArgumentNullException.ThrowIfNull(first);
        var baseUrl = first.PathParameters.TryGetValue("baseurl", out var value) ? value as string : null;
        return new Query<TPage>((latest, ct) => get(latest ? LatestUrl(first, tokenParameter) : first.URI.ToString(), ct), get, baseUrl);
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

    [LoggerMessage(EventId = 7150, Level = LogLevel.Warning, Message = "DeltaResyncRequired {DeltaKey}: Graph answered {StatusCode} ({Reason}) to the stored delta link; not retried, enumerating from scratch and storing a fresh link")]
    private static partial void LogResyncRequired(ILogger logger, string deltaKey, int statusCode, string reason);
}

/// <summary>
/// Delta links as stored: relative to the Graph base URL when they lie under it, so the same row works against another
/// base address; resolved against the current base URL on use. Absolute links (stored by earlier versions) whose path
/// lies under the base URL's path are rebased onto the current base URL too.
/// </summary>
internal static class DeltaLinkAddress
{
    public static string Relative(string link, string? baseUrl)
    {
        if (Base(baseUrl) is not { } root || !Uri.TryCreate(link, UriKind.Absolute, out var uri)
            || !string.Equals(uri.GetLeftPart(UriPartial.Authority), root.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase)
            || !uri.AbsolutePath.StartsWith(root.AbsolutePath, StringComparison.OrdinalIgnoreCase))
        {
            return link;
        }

        return uri.PathAndQuery[root.AbsolutePath.Length..];
    }

    public static string? Resolve(string? stored, string? baseUrl)
    {
        if (stored is null || Base(baseUrl) is not { } root)
        {
            return stored;
        }

        if (!Uri.TryCreate(stored, UriKind.Absolute, out var uri))
        {
            return root.AbsoluteUri + stored.TrimStart('/');
        }

        return uri.AbsolutePath.StartsWith(root.AbsolutePath, StringComparison.OrdinalIgnoreCase)
            ? root.AbsoluteUri + uri.PathAndQuery[root.AbsolutePath.Length..]
            : stored;
    }

    /// <summary>The base URL with a trailing slash (<c>https://graph.microsoft.com/v1.0/</c>).</summary>
    private static Uri? Base(string? baseUrl) =>
        baseUrl is not null && Uri.TryCreate(baseUrl.TrimEnd('/') + "/", UriKind.Absolute, out var root) ? root : null;
}
