using System.Globalization;
using System.Text.Json.Nodes;
using ChangeNotifications.GraphEmulator.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ChangeNotifications.GraphEmulator.Subscriptions;

/// <summary><c>/v1.0/subscriptions</c>: create, list (paged), get, update, delete, reauthorize — with Graph's rules.</summary>
internal static partial class SubscriptionsEndpoints
{
    /// <summary>Service principal id the emulator reports as <c>creatorId</c> of app-only subscriptions.</summary>
    public const string ServicePrincipalId = "4d3c2b1a-0f9e-4d8c-b7a6-5f4e3d2c1b0a";

    public static RouteGroupBuilder MapSubscriptions(this RouteGroupBuilder graph)
    {
        var group = graph.MapGroup("/subscriptions");
        group.MapPost("/", CreateAsync);
        group.MapGet("/", List);
        group.MapGet("/{id}", Get);
        group.MapPatch("/{id}", UpdateAsync);
        group.MapDelete("/{id}", Delete);
        group.MapPost("/{id}/reauthorize", Reauthorize);
        return group;
    }

    private static async Task<IResult> CreateAsync(HttpContext context, SubscriptionApi api)
    {
        var (body, failure) = await SubscriptionRequestRules.ReadBodyAsync(context.Request);
        if (failure is not null)
        {
            return api.Fail(context, failure);
        }

        var (subscription, refusal) = await api.CreateAsync(body!, context.RequestAborted);
        if (refusal is not null)
        {
            return api.Fail(context, refusal);
        }

        var json = SubscriptionJson.Write(subscription!, includeClientState: true);
        json["@odata.context"] = $"{api.GraphBaseUrl(context)}/$metadata#subscriptions/$entity";
        return Results.Content(json.ToJsonString(), "application/json", statusCode: StatusCodes.Status201Created);
    }

    private static IResult List(HttpContext context, SubscriptionApi api, SubscriptionRegistry registry, GraphEmulatorOptions options)
    {
        var all = registry.List();
        var skip = int.TryParse(context.Request.Query["$skiptoken"], NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : 0;
        var page = all.Skip(skip).Take(options.SubscriptionsPageSize).ToList();
        var baseUrl = api.GraphBaseUrl(context);
        var json = new JsonObject
        {
            ["@odata.context"] = $"{baseUrl}/$metadata#subscriptions",
            ["value"] = new JsonArray([.. page.Select(p => (JsonNode)SubscriptionJson.Write(p, includeClientState: false))]),
        };
        if (skip + page.Count < all.Count)
        {
            json["@odata.nextLink"] = $"{baseUrl}/subscriptions?$skiptoken={skip + page.Count}";
        }

        return Results.Content(json.ToJsonString(), "application/json");
    }

    private static IResult Get(string id, HttpContext context, SubscriptionApi api, SubscriptionRegistry registry)
    {
        var subscription = Guid.TryParse(id, out var guid) ? registry.Find(guid) : null;
        if (subscription is null)
        {
            return api.Fail(context, SubscriptionApi.NotFound);
        }

        var json = SubscriptionJson.Write(subscription, includeClientState: false);
        json["@odata.context"] = $"{api.GraphBaseUrl(context)}/$metadata#subscriptions/$entity";
        return Results.Content(json.ToJsonString(), "application/json");
    }

    private static async Task<IResult> UpdateAsync(string id, HttpContext context, SubscriptionApi api)
    {
        var (body, failure) = await SubscriptionRequestRules.ReadBodyAsync(context.Request);
        if (failure is not null)
        {
            return api.Fail(context, failure);
        }

        var (subscription, refusal) = Guid.TryParse(id, out var guid)
            ? await api.UpdateAsync(guid, body!, context.RequestAborted)
            : (null, SubscriptionApi.NotFound);
        if (refusal is not null)
        {
            return api.Fail(context, refusal);
        }

        var json = SubscriptionJson.Write(subscription!, includeClientState: false);
        json["@odata.context"] = $"{api.GraphBaseUrl(context)}/$metadata#subscriptions/$entity";
        return Results.Content(json.ToJsonString(), "application/json");
    }

    private static IResult Delete(string id, HttpContext context, SubscriptionApi api) =>
        Guid.TryParse(id, out var guid) && api.Delete(guid)
            ? Results.NoContent()
            : api.Fail(context, SubscriptionApi.NotFound);

    private static IResult Reauthorize(string id, HttpContext context, SubscriptionApi api) =>
        Guid.TryParse(id, out var guid) && api.Reauthorize(guid)
            ? Results.NoContent()
            : api.Fail(context, SubscriptionApi.NotFound);
}
