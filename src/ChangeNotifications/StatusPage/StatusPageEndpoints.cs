using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Text.Json;
using ChangeNotifications.Admin;
using ChangeNotifications.Dispatching;
using ChangeNotifications.Inbox;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.StatusPage;

/// <summary>
/// The status page under <see cref="Prefix"/>: the page and its script (embedded in the assembly), the subscriptions
/// and dead letters it shows (through the admin API's queries), replay of one dead letter (the admin store contract),
/// and the stream of items as the dispatcher handles or dead-letters them (server-sent events from
/// <see cref="DispatchFeed"/>). Every route needs a person signed in with the page's role or group and counts against
/// the admin API's rate limit.
/// </summary>
internal static partial class StatusPageEndpoints
{
    public const string Prefix = "/status";

    /// <summary>What the page's script calls: answered 401, not redirected, when the sign-in has lapsed.</summary>
    public const string ApiPrefix = "/status/api";

    public const string AntiforgeryHeader = "X-Status-Page-Token";

    public static IEndpointRouteBuilder MapStatusPage(this IEndpointRouteBuilder routes)
    {
        var page = routes.MapGroup(Prefix)
            .RequireAuthorization(StatusPageServiceCollectionExtensions.Policy)
            .RequireRateLimiting(AdminServiceCollectionExtensions.Policy);
        page.MapGet(string.Empty, (HttpContext context) => Asset(context, "status.html", "text/html; charset=utf-8"));
        page.MapGet("/status.js", (HttpContext context) => Asset(context, "status.js", "text/javascript; charset=utf-8"));
        page.MapGet("/status.css", (HttpContext context) => Asset(context, "status.css", "text/css; charset=utf-8"));

        var api = routes.MapGroup(ApiPrefix)
            .RequireAuthorization(StatusPageServiceCollectionExtensions.Policy)
            .RequireRateLimiting(AdminServiceCollectionExtensions.Policy);
        api.MapGet("/session", (HttpContext context, IAntiforgery antiforgery) =>
            Results.Ok(new { user = UserName(context.User), token = antiforgery.GetAndStoreTokens(context).RequestToken }));
        api.MapGet("/subscriptions", async (AdminQueries queries, TimeProvider time, CancellationToken ct) =>
            Results.Ok(new { now = time.GetUtcNow(), items = await queries.SubscriptionsAsync(ct) }));
        api.MapGet("/dead-letters", async (AdminQueries queries, IOptions<StatusPageOptions> options, CancellationToken ct) =>
            Results.Ok(await queries.NotificationsAsync(new InboxQuery { Status = InboxItemStatus.Dead, Limit = options.Value.DeadLetters }, ct)));
        api.MapPost("/dead-letters/{id:long}/replay", ReplayAsync);
        api.MapGet("/events", (DispatchFeed feed, IHostApplicationLifetime lifetime, CancellationToken ct) =>
            TypedResults.ServerSentEvents(EventsAsync(feed, lifetime.ApplicationStopping, ct)));
        return routes;
    }

    private static async Task<IResult> ReplayAsync(
        long id, HttpContext context, IAntiforgery antiforgery, IInboxAdministration inbox, InboxSignal signal, ILogger<StatusPageApi> logger)
    {
        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, detail: "The page's antiforgery token is missing or wrong: reload the page.");
        }

        var replayed = await inbox.ReplayAsync(new InboxQuery { Ids = [id] }, context.RequestAborted);
        if (replayed == 0)
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, detail: $"No dead letter has the id {id}.");
        }

        signal.Notify();
        LogReplayed(logger, UserName(context.User), id);
        return Results.Ok(new ReplayResult(replayed));
    }

    /// <summary>A <c>ready</c> event at once (the page shows it is live), then one <c>notification</c> event per item the
    /// dispatcher finishes. Ends when the page goes away or the host stops (so an open page never holds up shutdown).</summary>
    private static async IAsyncEnumerable<SseItem<string>> EventsAsync(
        DispatchFeed feed, CancellationToken stopping, [EnumeratorCancellation] CancellationToken requestAborted)
    {
        using var listening = CancellationTokenSource.CreateLinkedTokenSource(stopping, requestAborted);
        var entries = feed.ListenAsync(listening.Token).WithCancellation(listening.Token).ConfigureAwait(false);
        yield return new SseItem<string>("{}", "ready");
        await using var enumerator = entries.GetAsyncEnumerator();
        while (true)
        {
            bool next;
            try
            {
                next = await enumerator.MoveNextAsync();
            }
            catch (OperationCanceledException)
            {
                yield break;
            }

            if (!next)
            {
                yield break;
            }

            yield return new SseItem<string>(JsonSerializer.Serialize(StatusEvent.From(enumerator.Current), JsonSerializerOptions.Web), "notification");
        }
    }

    private static IResult Asset(HttpContext context, string name, string contentType)
    {
        context.Response.Headers.ContentSecurityPolicy = "default-src 'self'; frame-ancestors 'none'";
        context.Response.Headers.CacheControl = "no-store";
        return Results.Bytes(StatusPageAssets.Get(name), contentType);
    }

    /// <summary>Who is signed in, as the id token names them (no token, no secret).</summary>
    private static string UserName(ClaimsPrincipal user) =>
        user.FindFirst("preferred_username")?.Value ?? user.FindFirst("name")?.Value ?? user.Identity?.Name ?? "unknown";

    [LoggerMessage(EventId = 8201, Level = LogLevel.Information, Message = "Status page: {User} replayed dead letter {InboxId}")]
    private static partial void LogReplayed(ILogger logger, string user, long inboxId);
}

/// <summary>The category of the status page's log lines.</summary>
internal sealed class StatusPageApi;

/// <summary>One item the dispatcher finished, as the page shows it: its summary (status <c>handled</c> or
/// <c>deadLettered</c>, the reason as its last error) and when.</summary>
internal sealed record StatusEvent(NotificationSummary Notification, DateTimeOffset At)
{
    public static StatusEvent From(DispatchEvent entry) => new(
        NotificationSummary.From(entry.Item, subscription: null) with
        {
            Status = AdminText.Of(entry.Outcome),
            LastError = entry.Reason,
        },
        entry.At);
}

/// <summary>The page's files, embedded in the assembly (no build step, nothing from a CDN), read once.</summary>
internal static class StatusPageAssets
{
    private static readonly Dictionary<string, byte[]> Files = Load();

    public static byte[] Get(string name) => Files[name];

    private static Dictionary<string, byte[]> Load()
    {
        var assembly = typeof(StatusPageAssets).Assembly;
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var name in new[] { "status.html", "status.js", "status.css" })
        {
            using var stream = assembly.GetManifestResourceStream($"StatusPage.{name}")
                ?? throw new InvalidOperationException($"The status page's {name} is not embedded in the assembly.");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            files[name] = copy.ToArray();
        }

        return files;
    }
}
