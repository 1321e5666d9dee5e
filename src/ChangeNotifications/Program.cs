using ChangeNotifications.Admin;
using ChangeNotifications.Dispatching;
using ChangeNotifications.Graph;
using ChangeNotifications.Handlers;
using ChangeNotifications.Health;
using ChangeNotifications.Inbox;
using ChangeNotifications.Logging;
using ChangeNotifications.Receiving;
using ChangeNotifications.Security;
using ChangeNotifications.StatusPage;
using ChangeNotifications.Storage;
using ChangeNotifications.Subscriptions;
using ChangeNotifications.Telemetry;

var builder = WebApplication.CreateBuilder(args);
var listen = builder.UseListenAddresses();
builder.AddServiceLogging();
builder.Services.AddProblemDetails();
builder.Services
    .AddGraph(builder.Configuration)
    .AddStorage(builder.Configuration)
    .AddInbox()
    .AddReceiving(builder.Configuration)
    .AddForwardedHeaders(builder.Configuration)
    .AddDispatching(builder.Configuration)
    .AddSubscriptionManagement(builder.Configuration)
    .AddEmulatorDemoSubscriptions()
    .AddChangeHandlers()
    .AddRichNotifications(builder.Configuration)
    .AddAdminApi(builder.Configuration)
    .AddServiceHealth(builder.Configuration)
    .AddServiceTelemetry(builder.Configuration)
    .AddStatusPage(builder.Configuration);

var app = builder.Build();
app.LogChoice(listen);
app.UseConfiguredForwardedHeaders();
app.UseOutsideWebhookPosts(branch => branch
    .UseServiceRequestLogging()
    .UseExceptionHandler()
    .UseStatusCodePages()
    .UseAdminApi());
app.MapNotificationEndpoints();
app.MapServiceHealth();
app.MapAdminEndpoints();
app.MapMetricsScraping();
app.MapStatusPage();
if (!await app.Services.GetRequiredService<IStorageStartupCheck>().OpensAsync(CancellationToken.None))
{
    await app.DisposeAsync(); // flushes the asynchronous log sink
    return 1;
}

await app.RunAsync();
return 0;

/// <summary>Entry point; public for WebApplicationFactory.</summary>
public partial class Program;
