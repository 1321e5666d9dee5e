using Microsoft.Graph.Models;

namespace ChangeNotifications.Handlers;

/// <summary>Follows <c>@odata.nextLink</c> through the pages of a Graph collection or delta query.</summary>
internal static class GraphPages
{
    /// <summary>The items of every page (at most <paramref name="max"/>) of a collection.</summary>
    public static async Task<List<T>> ReadAsync<TPage, T>(
        Func<CancellationToken, Task<TPage?>> first,
        Func<string, CancellationToken, Task<TPage?>> next,
        Func<TPage, List<T>?> items,
        int max,
        CancellationToken cancellationToken)
        where TPage : BaseCollectionPaginationCountResponse
    {
        var result = new List<T>();
        var page = await first(cancellationToken);
        while (page is not null)
        {
            result.AddRange(items(page) ?? []);
            if (result.Count >= max || page.OdataNextLink is null)
            {
                break;
            }

            page = await next(page.OdataNextLink, cancellationToken);
        }

        return result.Count > max ? result[..max] : result;
    }

    /// <summary>The items of every page of a delta round and the round's <c>@odata.deltaLink</c>.</summary>
    public static async Task<(List<T> Items, string? DeltaLink)> ReadDeltaAsync<TPage, T>(
        Func<CancellationToken, Task<TPage?>> first,
        Func<string, CancellationToken, Task<TPage?>> next,
        Func<TPage, List<T>?> items,
        CancellationToken cancellationToken)
        where TPage : BaseDeltaFunctionResponse
    {
        var result = new List<T>();
        var page = await first(cancellationToken);
        while (page is not null)
        {
            result.AddRange(items(page) ?? []);
            if (page.OdataNextLink is null)
            {
                return (result, page.OdataDeltaLink);
            }

            page = await next(page.OdataNextLink, cancellationToken);
        }

        return (result, null);
    }
}
