using System.Net;
using ChangeNotifications.GraphEmulator.Tenant;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;

namespace ChangeNotifications.Tests.Admin;

/// <summary>
/// ASP.NET Core's rate limiter on the admin API: 429 only past its limit, and never on the webhook routes, which pass
/// through neither the limiter nor authentication.
/// </summary>
public sealed class AdminRateLimitTests : IDisposable
{
    private const int Limit = 3;
    private static readonly Uri Subscriptions = new("/api/admin/subscriptions", UriKind.Relative);
    private readonly ServiceFactory _service = new ServiceFactory()
        .WithSetting("Admin:RateLimit:PermitLimit", Limit.ToString(System.Globalization.CultureInfo.InvariantCulture))
        .WithSetting("Admin:RateLimit:Window", "01:00:00");

    public void Dispose() => _service.Dispose();

    [Fact]
    public async Task The_admin_api_answers_429_only_past_its_limit()
    {
        using var admin = await AdminClient.CreateAsync(_service);
        using var anonymous = _service.CreateClient();

        for (var i = 0; i < Limit; i++)
        {
            using var allowed = await admin.Http.GetAsync(Subscriptions);
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }

        using var refused = await admin.Http.GetAsync(Subscriptions);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After is given");
        using var withoutToken = await anonymous.GetAsync(Subscriptions);
        Assert.Equal(HttpStatusCode.TooManyRequests, withoutToken.StatusCode);
        using var health = await anonymous.GetAsync(new Uri("/health", UriKind.Relative));
        Assert.NotEqual(HttpStatusCode.TooManyRequests, health.StatusCode);
    }

    [Fact]
    public async Task The_webhook_routes_are_never_limited()
    {
        var subscription = _service.Subscriptions.Add($"/users/{SeedIds.UserId}/messages", "created");
        using var admin = await AdminClient.CreateAsync(_service);
        for (var i = 0; i <= Limit; i++)
        {
            using var _ = await admin.Http.GetAsync(Subscriptions);
        }

        using (var refused = await admin.Http.GetAsync(Subscriptions))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        }

        for (var i = 0; i < Limit * 10; i++)
        {
            await admin.NotifyAsync(subscription);
            using var lifecycle = await admin.Http.PostAsync(new Uri("/api/lifecycle", UriKind.Relative),
                Payloads.Json(Payloads.Batch(Payloads.Lifecycle(subscription, "missed"))));
            Assert.Equal(HttpStatusCode.Accepted, lifecycle.StatusCode);
            using var handshake = await admin.Http.PostAsync(new Uri("/api/notifications?validationToken=check", UriKind.Relative), null);
            Assert.Equal(HttpStatusCode.OK, handshake.StatusCode);
        }
    }

    [Fact]
    public async Task Webhook_posts_never_pass_through_authentication()
    {
        var bearerLookups = 0;
        using var service = new ServiceFactory().WithServices(services =>
            services.PostConfigure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, bearer =>
            {
                var received = bearer.Events.OnMessageReceived;
                bearer.Events.OnMessageReceived = context =>
                {
                    Interlocked.Increment(ref bearerLookups);
                    return received(context);
                };
            }));
        var subscription = service.Subscriptions.Add($"/users/{SeedIds.UserId}/messages", "created");
        using var client = service.CreateClient().WithToken("not-a-token");

        using (var notification = await client.PostAsync(new Uri("/api/notifications", UriKind.Relative), Payloads.Json(Payloads.Batch(Payloads.Item(subscription)))))
        {
            Assert.Equal(HttpStatusCode.Accepted, notification.StatusCode);
        }

        using (var handshake = await client.PostAsync(new Uri("/api/lifecycle?validationToken=check", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.OK, handshake.StatusCode);
        }

        Assert.Equal(0, Volatile.Read(ref bearerLookups));
        using var admin = await client.GetAsync(Subscriptions);
        Assert.Equal(HttpStatusCode.Unauthorized, admin.StatusCode);
        Assert.Equal(1, Volatile.Read(ref bearerLookups));
    }
}
