namespace ChangeNotifications.Receiving;

/// <summary>
/// Keeps the webhook POSTs (<see cref="NotificationEndpoints.NotificationsPath"/>, <see cref="NotificationEndpoints.LifecyclePath"/>)
/// out of middleware that serves the rest of the service: the request log, the exception handler and the status-code
/// pages. Those answer their own errors (problem+json from intake and the handshake; an exception escaping them gets
/// Kestrel's bare 500 and its error log line, which Graph treats as any 5xx: it sends again). On every
/// acknowledgement that middleware would cost a state machine each, and the status-code pages an items dictionary per
/// request. Anything else under the webhook routes (a GET, an
/// unknown path) still goes through it.
/// </summary>
internal static class WebhookBypass
{
    /// <summary>
    /// The keys by which the web host sees that authentication and authorization are in the pipeline. Without them on
    /// the app's own builder it adds both again at the top, where every webhook POST would pass through them; the
    /// branch's builder keeps its own copy of the properties, so they are carried over.
    /// </summary>
    private static readonly string[] MiddlewareSetKeys = ["__AuthenticationMiddlewareSet", "__AuthorizationMiddlewareSet"];

    /// <summary>Adds <paramref name="configure"/>'s middleware for every request but the webhook POSTs.</summary>
    public static IApplicationBuilder UseOutsideWebhookPosts(this IApplicationBuilder app, Action<IApplicationBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return app.UseWhen(context => !IsWebhookPost(context.Request), branch =>
        {
            configure(branch);
            foreach (var key in MiddlewareSetKeys.Where(branch.Properties.ContainsKey))
            {
                app.Properties[key] = branch.Properties[key];
            }
        });
    }

    public static bool IsWebhookPost(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var path = request.Path.Value;
        return HttpMethods.IsPost(request.Method)
            && (string.Equals(path, NotificationEndpoints.NotificationsPath, StringComparison.OrdinalIgnoreCase)
                || string.Equals(path, NotificationEndpoints.LifecyclePath, StringComparison.OrdinalIgnoreCase));
    }
}
