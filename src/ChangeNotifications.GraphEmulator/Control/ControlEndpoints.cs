using System.Net;
using ChangeNotifications.GraphEmulator.Lifecycle;
using ChangeNotifications.GraphEmulator.Subscriptions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ChangeNotifications.GraphEmulator.Control;

/// <summary><c>/_emulator/…</c>: the control API over HTTP, for loopback callers only.</summary>
internal static class ControlEndpoints
{
    public static RouteGroupBuilder MapControlEndpoints(this IEndpointRouteBuilder routes)
    {
        var control = routes.MapGroup("/_emulator").AddEndpointFilter(async (context, next) =>
            context.HttpContext.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote)
                ? await next(context)
                : Results.StatusCode(StatusCodes.Status403Forbidden));

        control.MapGet("/subscriptions", (EmulatorControl c) =>
            Results.Json(c.Subscriptions.Select(s => SubscriptionJson.Write(s, includeClientState: false)).ToList()));
        control.MapGet("/counters", (EmulatorControl c) => Results.Json(c.Counters));
        control.MapPost("/changes", (EmulatorControl c, Guid? subscriptionId, string? resourceKind, string? changeType) =>
            Results.Json(new { queued = c.TriggerChange(subscriptionId, resourceKind, changeType) }));
        control.MapPost("/subscriptions/{id:guid}/lifecycle/{lifecycleEvent}", (EmulatorControl c, Guid id, LifecycleEvent lifecycleEvent) =>
            c.SendLifecycleEvent(id, lifecycleEvent) ? Results.NoContent() : Results.NotFound());
        control.MapPost("/faults/expire-endpoint-tokens", (EmulatorControl c, Guid? subscriptionId) =>
            Results.Json(new { expired = c.ExpireEndpointTokens(subscriptionId) }));
        control.MapPost("/reset", (EmulatorControl c) =>
        {
            c.Reset();
            return Results.NoContent();
        });
        control.MapPost("/faults/throttle", (EmulatorControl c, int count, double? retryAfterSeconds) =>
        {
            c.ThrottleNextRequests(count, TimeSpan.FromSeconds(retryAfterSeconds ?? 1));
            return Results.NoContent();
        });
        control.MapPost("/faults/server-error", (EmulatorControl c, int count, int? status, double? retryAfterSeconds) =>
        {
            c.FailNextRequests(count, status ?? StatusCodes.Status503ServiceUnavailable, retryAfterSeconds is { } s ? TimeSpan.FromSeconds(s) : null);
            return Results.NoContent();
        });
        control.MapPost("/faults/client-error", (EmulatorControl c, int count, int status, string? code, double? retryAfterSeconds) =>
        {
            c.RejectNextRequests(count, status, code, retryAfterSeconds is { } s ? TimeSpan.FromSeconds(s) : null);
            return Results.NoContent();
        });
        control.MapPost("/faults/drop-connection", (EmulatorControl c, int count) =>
        {
            c.DropNextRequests(count);
            return Results.NoContent();
        });
        control.MapPost("/faults/slow", (EmulatorControl c, int count, double delaySeconds) =>
        {
            c.SlowNextRequests(count, TimeSpan.FromSeconds(delaySeconds));
            return Results.NoContent();
        });
        control.MapPost("/faults/handshake-timeout", (EmulatorControl c, int? count) =>
        {
            c.TimeOutNextHandshakes(count ?? 1);
            return Results.NoContent();
        });
        control.MapDelete("/faults", (EmulatorControl c) =>
        {
            c.ClearFaults();
            return Results.NoContent();
        });
        control.MapPost("/faults/expire-delta-links", (EmulatorControl c, string resource) =>
            Results.Json(new { expired = c.ExpireDeltaLinks(resource) }));
        control.MapPost("/faults/expire-tokens", (EmulatorControl c) => Results.Json(new { expired = c.ExpireAccessTokens() }));
        control.MapDelete("/subscriptions/{id:guid}", (EmulatorControl c, Guid id) =>
            c.DeleteSubscriptionSilently(id) ? Results.NoContent() : Results.NotFound());
        return control;
    }
}
