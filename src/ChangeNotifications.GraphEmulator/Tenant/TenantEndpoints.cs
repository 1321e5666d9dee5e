using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChangeNotifications.GraphEmulator.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ChangeNotifications.GraphEmulator.Tenant;

/// <summary>
/// The tenant's resources over HTTP, as Graph serves them: <c>GET</c> an item or a collection (with
/// <c>$select</c>, <c>$expand=fields</c>, <c>$top</c> and <c>@odata.nextLink</c> paging), delta queries
/// (<c>…/delta</c>, <c>?token=latest</c>, <c>@odata.deltaLink</c> that returns only later changes, 410 Gone for a
/// token that is expired or that another tenant instance issued), <c>PATCH</c>
/// of a print task, and 404 in Graph's error shape. Map it inside the authenticated <c>/v1.0</c> group; the
/// explicit routes of that group (subscriptions …) win over this catch-all.
/// </summary>
public static class TenantEndpoints
{
    private const int DefaultPageSize = 100;

    /// <summary>Navigation properties that appear only when expanded.</summary>
    private static readonly HashSet<string> ExpandOnly = new(StringComparer.OrdinalIgnoreCase) { "fields" };

    public static IEndpointRouteBuilder MapTenantEndpoints(this IEndpointRouteBuilder v1, EmulatedTenant tenant)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        return v1.MapTenantEndpoints(() => tenant);
    }

    /// <summary>Serves whichever tenant <paramref name="tenant"/> returns at each request (tests swap tenants on one server).</summary>
    public static IEndpointRouteBuilder MapTenantEndpoints(this IEndpointRouteBuilder v1, Func<EmulatedTenant> tenant)
    {
        ArgumentNullException.ThrowIfNull(v1);
        ArgumentNullException.ThrowIfNull(tenant);
        v1.MapGet("/{**path}", (string path, HttpRequest request) => Get(tenant(), path, request)).ExcludeFromDescription();
        v1.MapMethods("/{**path}", [HttpMethods.Patch], (string path, HttpRequest request) => PatchAsync(tenant(), path, request)).ExcludeFromDescription();
        return v1;
    }

    private static IResult Get(EmulatedTenant tenant, string path, HttpRequest request)
    {
        var target = tenant.ParsePath(path);
        if (target.IsDelta)
        {
            return Delta(tenant, target, request);
        }

        if (target.ItemId is not null)
        {
            return tenant.Find(path) is { } item ? Json(Project(item, request)) : NotFound(request, tenant, target);
        }

        if (tenant.List(path) is not { } items)
        {
            return NotFound(request, tenant, target);
        }

        var top = int.TryParse(request.Query["$top"], CultureInfo.InvariantCulture, out var t) && t > 0 ? t : DefaultPageSize;
        var skip = int.TryParse(request.Query["$skiptoken"], CultureInfo.InvariantCulture, out var s) && s > 0 ? s : 0;
        var body = new JsonObject { ["value"] = new JsonArray([.. items.Skip(skip).Take(top).Select(i => (JsonNode)Project(i, request))]) };
        if (skip + top < items.Count)
        {
            body["@odata.nextLink"] = Link(request, "$skiptoken", (skip + top).ToString(CultureInfo.InvariantCulture));
        }

        return Json(body);
    }

    private static IResult Delta(EmulatedTenant tenant, TenantPath target, HttpRequest request)
    {
        var token = (string?)request.Query["token"] ?? (string?)request.Query["$deltatoken"] ?? request.Query["$skiptoken"];
        long since = 0;
        long? until = null;
        string? stamp = null;
        var latest = string.Equals(token, "latest", StringComparison.OrdinalIgnoreCase);
        if (token is not null && !latest && !DeltaToken.TryRead(token, out since, out until, out stamp))
        {
            return Error(request, StatusCodes.Status400BadRequest, "badRequest", "The delta token is not valid.");
        }

        if (tenant.Delta(target, latest ? long.MaxValue : since, until, stamp) is not { } page)
        {
            return NotFound(request, tenant, target);
        }

        if (page.Gone)
        {
            // Graph: 410 with a Location that starts a new enumeration; the client must resync from scratch.
            request.HttpContext.Response.Headers.Location = Link(request, null, null);
            return Error(request, StatusCodes.Status410Gone, "resyncRequired", "The delta token is expired or unknown; start a new delta round.");
        }

        var tokenName = target.Shape.StartsWith("drives", StringComparison.Ordinal) || target.Shape.StartsWith("sites", StringComparison.Ordinal)
            ? "token" : null;
        var body = new JsonObject { ["value"] = new JsonArray([.. page.Items.Select(i => (JsonNode)Project(i, request))]) };
        if (page.NextAfter is { } after)
        {
            body["@odata.nextLink"] = Link(request, tokenName ?? "$skiptoken", DeltaToken.Write(after, page.Until, page.Stamp));
        }
        else
        {
            body["@odata.deltaLink"] = Link(request, tokenName ?? "$deltatoken", DeltaToken.Write(page.Until, null, page.Stamp));
        }

        return Json(body);
    }

    private static async Task<IResult> PatchAsync(EmulatedTenant tenant, string path, HttpRequest request)
    {
        var target = tenant.ParsePath(path);
        if (target.Shape != "print/taskdefinitions/tasks" || target.ItemId is null)
        {
            return Error(request, StatusCodes.Status405MethodNotAllowed, "Request_BadRequest", "The emulator accepts PATCH only on print tasks.");
        }

        JsonObject? patch;
        try
        {
            patch = (await JsonNode.ParseAsync(request.Body))?.AsObject();
        }
        catch (JsonException)
        {
            patch = null;
        }

        if (patch is null)
        {
            return Error(request, StatusCodes.Status400BadRequest, "BadRequest", "The request body is not a JSON object.");
        }

        return tenant.Patch(target, patch) is { } updated ? Json(updated) : NotFound(request, tenant, target);
    }

    /// <summary>The item with only the <c>$select</c>ed properties (always <c>id</c> and annotations), navigation
    /// properties only when <c>$expand</c>ed.</summary>
    private static JsonObject Project(JsonObject item, HttpRequest request)
    {
        var select = Names(request.Query["$select"]);
        var expand = Names(request.Query["$expand"]);
        var result = new JsonObject();
        foreach (var (name, value) in item)
        {
            var keep = ExpandOnly.Contains(name)
                ? expand.Contains(name)
                : select.Count == 0 || name == "id" || name.StartsWith('@') || name.Contains('@', StringComparison.Ordinal)
                  || name == "deleted" || select.Contains(name);
            if (keep)
            {
                result[name] = value?.DeepClone();
            }
        }

        return result;
    }

    private static HashSet<string> Names(string? list) =>
        new((list ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(n => n.Split('(', 2)[0]), StringComparer.OrdinalIgnoreCase);

    /// <summary>This request's URL with its paging/delta tokens replaced by <paramref name="name"/>=<paramref name="value"/>
    /// (removed when <paramref name="name"/> is null).</summary>
    private static string Link(HttpRequest request, string? name, string? value)
    {
        var query = new StringBuilder();
        foreach (var (key, values) in request.Query)
        {
            if (key is "token" or "$deltatoken" or "$skiptoken")
            {
                continue;
            }

            foreach (var v in values)
            {
                query.Append(query.Length == 0 ? '?' : '&').Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(v ?? string.Empty));
            }
        }

        if (name is not null)
        {
            query.Append(query.Length == 0 ? '?' : '&').Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value ?? string.Empty));
        }

        return $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}{query}";
    }

    private static IResult NotFound(HttpRequest request, EmulatedTenant tenant, TenantPath target)
    {
        if (!tenant.KnowsShape(target))
        {
            var segment = target.Segments.Count == 0 ? string.Empty : target.Segments[target.ItemId is null ? ^1 : ^2];
            return Error(request, StatusCodes.Status400BadRequest, "BadRequest", $"Resource not found for the segment '{segment.Split('/')[^1]}'.");
        }

        var (code, message) = target.Shape switch
        {
            "users" or "groups" when target.ItemId is not null =>
                ("Request_ResourceNotFound", $"Resource '{target.ItemId}' does not exist or one of its queried reference-property objects are not present."),
            "users/messages" or "users/events" or "users/contacts" =>
                ("ErrorItemNotFound", "The specified object was not found in the store."),
            _ => ("itemNotFound", "The resource could not be found."),
        };
        return Error(request, StatusCodes.Status404NotFound, code, message);
    }

    private static IResult Error(HttpRequest request, int status, string code, string message) =>
        GraphError.Result(request.HttpContext, status, code, message, TimeProvider.System);

    private static IResult Json(JsonObject body) => Results.Content(body.ToJsonString(), "application/json", Encoding.UTF8);
}

/// <summary>The opaque tokens of delta and next links: the last change already seen, the snapshot's end when paging,
/// and the stamp of the tenant instance and collection generation that issued it (so an expired or foreign one is known).</summary>
internal static class DeltaToken
{
    public static string Write(long since, long? until, string stamp) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes((until is null ? $"d{since}" : $"n{since}.{until}") + "@" + stamp))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>False when <paramref name="token"/> is not a token at all; a well-formed one without a stamp (older
    /// emulators) reads with an empty stamp, which no tenant issues.</summary>
    public static bool TryRead(string token, out long since, out long? until, out string stamp)
    {
        since = 0;
        until = null;
        stamp = string.Empty;
        string text;
        try
        {
            var b64 = token.Replace('-', '+').Replace('_', '/');
            text = Encoding.UTF8.GetString(Convert.FromBase64String(b64.PadRight(b64.Length + ((4 - (b64.Length % 4)) % 4), '=')));
        }
        catch (FormatException)
        {
            return false;
        }

        var at = text.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            stamp = text[(at + 1)..];
            text = text[..at];
        }

        var parts = text.Length > 1 ? text[1..].Split('.') : [];
        if (text.StartsWith('d') && parts.Length == 1 && long.TryParse(parts[0], CultureInfo.InvariantCulture, out since))
        {
            return true;
        }

        if (text.StartsWith('n') && parts.Length == 2 && long.TryParse(parts[0], CultureInfo.InvariantCulture, out since)
            && long.TryParse(parts[1], CultureInfo.InvariantCulture, out var end))
        {
            until = end;
            return true;
        }

        return false;
    }
}
