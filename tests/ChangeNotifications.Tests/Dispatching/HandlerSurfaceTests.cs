using System.Net;
using System.Reflection;
using ChangeNotifications.Dispatching;
using ChangeNotifications.Resources;
using ChangeNotifications.Subscriptions;
using ChangeNotifications.Tests.Infrastructure;

namespace ChangeNotifications.Tests.Dispatching;

/// <summary>What handlers and lifecycle reactions are handed must not carry the clientState secret.</summary>
public sealed class HandlerSurfaceTests
{
    private static readonly Type[] HandedToHandlers =
    [
        typeof(ChangeNotificationContext), typeof(LifecycleEventContext), typeof(ResyncContext), typeof(SubscriptionView),
    ];

    public static TheoryData<Type> Surfaces() => new(HandedToHandlers);

    [Theory]
    [MemberData(nameof(Surfaces))]
    public void No_property_a_handler_can_reach_is_or_holds_the_clientState(Type surface)
    {
        var offending = Reachable(surface)
            .Where(p => p.Name.Contains("ClientState", StringComparison.OrdinalIgnoreCase) || p.PropertyType == typeof(SubscriptionRecord))
            .Select(p => $"{p.DeclaringType!.Name}.{p.Name}")
            .ToList();

        Assert.Empty(offending);
    }

    [Fact]
    public void The_check_finds_a_clientState_on_the_stored_record()
    {
        Assert.Contains(Reachable(typeof(SubscriptionRecord)), p => p.Name == nameof(SubscriptionRecord.ClientState));
    }

    [Fact]
    public async Task The_notification_a_handler_gets_has_no_clientState()
    {
        var handler = new RecordingHandler(ResourceType.Message);
        using var service = new ServiceFactory().WithHandler(handler);
        var sub = service.Subscriptions.Add("/users/5b0c9a6d-1e2f-4a3b-8c4d-9e0f1a2b3c4d/messages");
        var response = await service.CreateClient().PostAsync("/api/notifications", Payloads.Json(Payloads.Batch(Payloads.Item(sub, "created"))));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        await service.Dispatcher.RunOnceAsync(default);

        var context = Assert.Single(handler.Handled);
        Assert.Null(context.Notification.ClientState);
        Assert.Equal(sub.GraphId, context.Subscription?.GraphId);
    }

    /// <summary>The public properties of <paramref name="root"/> and, through them, of every type of this service they
    /// lead to. The Graph SDK's own models are not walked: the notification's clientState is blanked at intake.</summary>
    private static List<PropertyInfo> Reachable(Type root)
    {
        var seen = new HashSet<Type>();
        var found = new List<PropertyInfo>();
        var pending = new Queue<Type>([root]);
        while (pending.TryDequeue(out var type))
        {
            if (!seen.Add(type))
            {
                continue;
            }

            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                found.Add(property);
                var target = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
                if (target.Assembly == typeof(SubscriptionView).Assembly)
                {
                    pending.Enqueue(target);
                }
            }
        }

        return found;
    }
}
