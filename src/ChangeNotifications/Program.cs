using ChangeNotifications.Dispatching;
using ChangeNotifications.Inbox;
using ChangeNotifications.Logging;
using ChangeNotifications.Receiving;
using ChangeNotifications.Security;
using ChangeNotifications.Storage;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceLogging();
builder.Services.AddProblemDetails();
builder.Services
    .AddStorage(builder.Configuration)
    .AddInbox()
    .AddReceiving(builder.Configuration)
    .AddDispatching(builder.Configuration)
    .AddRichNotifications(builder.Configuration);

var app = builder.Build();
app.UseServiceRequestLogging();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.MapNotificationEndpoints();
app.Run();

/// <summary>Entry point; public for WebApplicationFactory.</summary>
public partial class Program;
