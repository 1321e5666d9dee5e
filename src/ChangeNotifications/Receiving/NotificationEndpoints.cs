using System.Diagnostics;
using ChangeNotifications.Dispatching;
using ChangeNotifications.Logging;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Receiving;

internal static class NotificationEndpoints
{
    /// <summary>Where the webhook routes live (anonymous; other middleware may leave them out of its work).</summary>
    public const string RoutePrefix = "/api";
    public const string NotificationsPath = RoutePrefix + "/notifications";
    public const string LifecyclePath = RoutePrefix + "/lifecycle";

    public static IServiceCollection AddReceiving(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ReceivingOptions>().Bind(configuration.GetSection(ReceivingOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ReceivingOptions>, ReceivingOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new LogRateLimiter(
            sp.GetRequiredService<IOptions<ReceivingOptions>>().Value.LogLinesPerSecond,
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ValidationHandshake>();
        services.AddSingleton<StoreDeadline>();
        services.AddSingleton<NotificationIntake>();
        services.TryAddSingleton<ReceivingMetrics>();
        services.TryAddSingleton<IntakeLoad>();
        // Replaces the quiet default AddDispatching may have registered, whichever of the two is called first.
        services.Replace(ServiceDescriptor.Singleton<IIntakePressure>(sp => sp.GetRequiredService<IntakeLoad>()));
        return services;
    }

    /// <summary>
    /// <c>POST /api/notifications</c> and <c>POST /api/lifecycle</c>: anonymous (Graph signs nothing here;
    /// the clientState and, for rich notifications, the validation tokens prove the sender).
    /// </summary>
    public static RouteGroupBuilder MapNotificationEndpoints(this IEndpointRouteBuilder endpoints)
    {
        // The handlers' services are singletons, taken once here: binding them per request (a minimal API's
        // parameters) opens a service scope for every acknowledgement.
        var services = endpoints.ServiceProvider;
        var handshake = services.GetRequiredService<ValidationHandshake>();
        var intake = services.GetRequiredService<NotificationIntake>();
        var load = services.GetRequiredService<IntakeLoad>();
        var metrics = services.GetRequiredService<ReceivingMetrics>();
        var group = endpoints.MapGroup(RoutePrefix).AllowAnonymous().WithTags("Graph webhooks");
        group.MapPost("/notifications", context => ReceiveAsync(context, handshake, intake, load, metrics, "notifications"));
        group.MapPost("/lifecycle", context => ReceiveAsync(context, handshake, intake, load, metrics, "lifecycle"));
        return group;
    }

    /// <summary>Reports the request to <see cref="IntakeLoad"/> (the dispatcher yields while requests queue), then answers
    /// it, and records how long the answer took (<see cref="ReceivingMetrics.Answered"/>).</summary>
    private static async Task ReceiveAsync(HttpContext context, ValidationHandshake handshake, NotificationIntake intake, IntakeLoad load, ReceivingMetrics metrics, string endpoint)
    {
        var started = Stopwatch.GetTimestamp();
        load.RequestStarted();
        try
        {
            var answer = ValidationHandshake.IsHandshake(context.Request, out var token)
                ? handshake.Answer(context.Response, token, endpoint)
                : await intake.ReceiveAsync(context, endpoint);
            await answer.ExecuteAsync(context);
        }
        finally
        {
            load.RequestFinished();
            metrics.Answered(Stopwatch.GetElapsedTime(started), endpoint);
        }
    }
}
