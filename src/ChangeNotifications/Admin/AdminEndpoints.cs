using System.Globalization;
using System.Security.Claims;
using ChangeNotifications.Inbox;
using ChangeNotifications.Resources;
using ChangeNotifications.Subscriptions;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Admin;

/// <summary>
/// The management API under <see cref="Prefix"/>: subscriptions and their state, notifications and dead letters
/// (paged, filtered), replay, and requests to the reconciler. Every route needs a token with the admin app role and
/// counts against the admin rate limit. Everything is read from the stores, so every instance answers alike; requests
/// to the reconciler are recorded on the stored subscription and carried out by its next pass, not in the request.
/// </summary>
internal static partial class AdminEndpoints
{
    public const string Prefix = "/api/admin";

    public static IEndpointRouteBuilder MapAdminEndpoints(this IEndpointRouteBuilder routes)
    {
        var admin = routes.MapGroup(Prefix)
            .RequireAuthorization(AdminServiceCollectionExtensions.Policy)
            .RequireRateLimiting(AdminServiceCollectionExtensions.Policy);
        admin.MapGet("/subscriptions", ListSubscriptionsAsync);
        admin.MapPost("/subscriptions/renew", (string? key, ISubscriptionRequests requests, ClaimsPrincipal user, ILogger<AdminApi> logger, CancellationToken ct) =>
            RequestAsync(key, SubscriptionRequest.Renew, requests, user, logger, ct));
        admin.MapPost("/subscriptions/resync", (string? key, ISubscriptionRequests requests, ClaimsPrincipal user, ILogger<AdminApi> logger, CancellationToken ct) =>
            RequestAsync(key, SubscriptionRequest.Resync, requests, user, logger, ct));
        admin.MapPost("/subscriptions/reconcile", ReconcileAsync);
        admin.MapGet("/notifications", (HttpRequest request, AdminQueries queries, CancellationToken ct) =>
            ListNotificationsAsync(request, status: null, queries, ct));
        admin.MapGet("/dead-letters", (HttpRequest request, AdminQueries queries, CancellationToken ct) =>
            ListNotificationsAsync(request, InboxItemStatus.Dead, queries, ct));
        admin.MapPost("/dead-letters/{id:long}/replay", ReplayOneAsync);
        admin.MapPost("/dead-letters/replay", ReplayManyAsync);
        return routes;
    }

    private static async Task<IResult> ListSubscriptionsAsync(AdminQueries queries, CancellationToken ct) =>
        Results.Ok(await queries.SubscriptionsAsync(ct));

    private static async Task<IResult> RequestAsync(
        string? key, SubscriptionRequest request, ISubscriptionRequests requests, ClaimsPrincipal user, ILogger<AdminApi> logger, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(key))
        {
            return Problem("key", "The subscription's key is required (as listed by GET /api/admin/subscriptions).");
        }

        var record = await requests.RequestAsync(key, request, ct);
        if (record is null)
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, detail: $"No subscription has the key '{key}'.");
        }

        LogRequested(logger, Caller(user), AdminText.Of(request), record.Key);
        return Results.Accepted(value: new { record.Key, request = AdminText.Of(request) });
    }

    /// <summary>With a key: that subscription's wait is dropped; without: a pass over all of them.</summary>
    private static Task<IResult> ReconcileAsync(string? key, ISubscriptionRequests requests, ClaimsPrincipal user, ILogger<AdminApi> logger, CancellationToken ct)
    {
        if (key is not null)
        {
            return RequestAsync(key, SubscriptionRequest.Reconcile, requests, user, logger, ct);
        }

        requests.Wake();
        LogRequested(logger, Caller(user), AdminText.Of(SubscriptionRequest.Reconcile), "*");
        return Task.FromResult(Results.Accepted(value: new { request = AdminText.Of(SubscriptionRequest.Reconcile) }));
    }

    private static async Task<IResult> ListNotificationsAsync(HttpRequest request, InboxItemStatus? status, AdminQueries queries, CancellationToken ct)
    {
        var (query, errors) = await ParseAsync(request.Query, queries, forReplay: false, ct);
        if (errors.Count > 0)
        {
            return Results.ValidationProblem(errors);
        }

        return Results.Ok(await queries.NotificationsAsync(status is null ? query : query with { Status = status }, ct));
    }

    private static async Task<IResult> ReplayOneAsync(long id, IInboxAdministration inbox, InboxSignal signal, ClaimsPrincipal user, ILogger<AdminApi> logger, CancellationToken ct)
    {
        var replayed = await inbox.ReplayAsync(new InboxQuery { Ids = [id] }, ct);
        if (replayed == 0)
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, detail: $"No dead letter has the id {id}.");
        }

        signal.Notify();
        LogReplayed(logger, Caller(user), replayed, $"id={id}");
        return Results.Ok(new ReplayResult(replayed));
    }

    /// <summary>The dead letters the filters match; without any filter only with <c>all=true</c>, so "all" is never an accident.</summary>
    private static async Task<IResult> ReplayManyAsync(
        HttpRequest request, AdminQueries queries, IInboxAdministration inbox, InboxSignal signal, ClaimsPrincipal user, ILogger<AdminApi> logger, CancellationToken ct)
    {
        var (filter, errors) = await ParseAsync(request.Query, queries, forReplay: true, ct);
        var all = string.Equals(request.Query["all"], "true", StringComparison.OrdinalIgnoreCase);
        if (errors.Count == 0 && !all && filter == new InboxQuery())
        {
            errors["all"] = ["Give a filter (resourceType, subscriptionId, from, to) or all=true to replay every dead letter."];
        }

        if (errors.Count > 0)
        {
            return Results.ValidationProblem(errors);
        }

        var replayed = await inbox.ReplayAsync(filter, ct);
        if (replayed > 0)
        {
            signal.Notify();
        }

        LogReplayed(logger, Caller(user), replayed, request.QueryString.HasValue ? request.QueryString.Value! : "all");
        return Results.Ok(new ReplayResult(replayed));
    }

    /// <summary>The query string's filters; errors name the parameter. A replay takes only the filters, not paging.</summary>
    private static async Task<(InboxQuery Query, Dictionary<string, string[]> Errors)> ParseAsync(
        IQueryCollection parameters, AdminQueries queries, bool forReplay, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var query = new InboxQuery();
        if (!forReplay)
        {
            query = query with { Limit = queries.PageSize };
            if (Text(parameters, "status") is { } status)
            {
                if (Enum.TryParse<InboxItemStatus>(status, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !char.IsDigit(status[0]))
                {
                    query = query with { Status = parsed };
                }
                else
                {
                    errors["status"] = ["One of ready, claimed, done, dead."];
                }
            }

            if (Text(parameters, "before") is { } before)
            {
                if (long.TryParse(before, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                {
                    query = query with { BeforeId = id };
                }
                else
                {
                    errors["before"] = ["The nextBefore of the previous page (an item id)."];
                }
            }

            if (Text(parameters, "limit") is { } limit)
            {
                if (int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count >= 1 && count <= queries.PageSize)
                {
                    query = query with { Limit = count };
                }
                else
                {
                    errors["limit"] = [$"Between 1 and {queries.PageSize}."];
                }
            }
        }

        query = query with
        {
            ReceivedFrom = Time(parameters, "from", errors),
            ReceivedBefore = Time(parameters, "to", errors),
        };
        if (Text(parameters, "subscriptionId") is { } subscription)
        {
            if (Guid.TryParse(subscription, out var id))
            {
                query = query with { SubscriptionIds = [id] };
            }
            else
            {
                errors["subscriptionId"] = ["Graph's id of a subscription (a GUID)."];
            }
        }

        if (Text(parameters, "resourceType") is { } resourceType)
        {
            if (Enum.TryParse<ResourceType>(resourceType, ignoreCase: true, out var type) && type != ResourceType.Unknown && !char.IsDigit(resourceType[0]))
            {
                var ofType = await queries.SubscriptionIdsOfAsync(type, ct);
                query = query with { SubscriptionIds = query.SubscriptionIds is { } given ? [.. given.Intersect(ofType)] : ofType };
            }
            else
            {
                errors["resourceType"] = [$"One of {string.Join(", ", Enum.GetValues<ResourceType>().Where(t => t != ResourceType.Unknown).Select(AdminText.Of))}."];
            }
        }

        return (query, errors);
    }

    private static string? Text(IQueryCollection parameters, string name) =>
        parameters.TryGetValue(name, out var values) && !string.IsNullOrWhiteSpace(values.ToString()) ? values.ToString().Trim() : null;

    private static DateTimeOffset? Time(IQueryCollection parameters, string name, Dictionary<string, string[]> errors)
    {
        if (Text(parameters, name) is not { } text)
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            return time;
        }

        errors[name] = ["An ISO 8601 date and time, e.g. 2026-12-07T10:00:00Z."];
        return null;
    }

    private static IResult Problem(string parameter, string message) =>
        Results.ValidationProblem(new Dictionary<string, string[]> { [parameter] = [message] });

    /// <summary>The calling app (its client id), as the token names it: no secret, and enough to tell who did what.</summary>
    private static string Caller(ClaimsPrincipal user) =>
        user.FindFirst("azp")?.Value ?? user.FindFirst("appid")?.Value ?? "unknown";

    [LoggerMessage(EventId = 8101, Level = LogLevel.Information, Message = "Admin API: {Caller} replayed {Count} dead letters ({Filter})")]
    private static partial void LogReplayed(ILogger logger, string caller, int count, string filter);

    [LoggerMessage(EventId = 8102, Level = LogLevel.Information, Message = "Admin API: {Caller} asked the reconciler for a {Request} of subscription {SubscriptionKey}")]
    private static partial void LogRequested(ILogger logger, string caller, string request, string subscriptionKey);
}

/// <summary>The category of the admin API's log lines.</summary>
internal sealed class AdminApi;
