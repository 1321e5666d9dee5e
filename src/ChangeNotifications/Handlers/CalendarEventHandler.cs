using ChangeNotifications.Dispatching;
using ChangeNotifications.Graph;
using ChangeNotifications.Logging;
using ChangeNotifications.Resources;
using Microsoft.Graph;
using Microsoft.Graph.Models;

namespace ChangeNotifications.Handlers;

/// <summary>Outlook calendar events: fetches subject, organizer and start. Resync: lists the calendar's events.</summary>
internal sealed partial class CalendarEventHandler(IGraphClientProvider graphClients, ILogger<CalendarEventHandler> logger) : GraphChangeHandler(logger)
{
    private static readonly string[] Fields = ["subject", "organizer", "start"];

    public override ResourceType ResourceType => ResourceType.Event;

    protected override async Task HandleChangeAsync(ChangeNotificationContext context, CancellationToken cancellationToken)
    {
        var id = RequireId(context, "events");
        var item = await graphClients.ForApp().Users[RequireId(context.Resource, "users")].Events[id].GetAsync(r => r.QueryParameters.Select = Fields, cancellationToken);
        Log(context.ChangeTypeName, id, item);
    }

    protected override async Task<int> ResyncItemsAsync(ResyncContext context, CancellationToken cancellationToken)
    {
        var events = graphClients.ForApp().Users[RequireId(context.Resource, "users")].Events;
        var found = await GraphPages.ReadAsync(
            ct => events.GetAsync(r => r.QueryParameters.Select = Fields, ct),
            (url, ct) => events.WithUrl(url).GetAsync(cancellationToken: ct),
            page => page.Value,
            ResyncLimit,
            cancellationToken);
        found.ForEach(item => Log("resync", item.Id, item));
        return found.Count;
    }

    private void Log(string changeType, string? id, Event? item) =>
        LogEventChanged(Logger, changeType, id, item?.Subject, item?.Organizer?.EmailAddress?.Address,
            item?.Start is { } start ? $"{start.DateTime} {start.TimeZone}" : null);

    [LoggerMessage(EventId = 5111, Level = LogLevel.Information, Message = "EventChanged {ChangeType} {CalendarEventId} {Subject} {Organizer} {Start}")]
    private static partial void LogEventChanged(ILogger logger, string changeType, string? calendarEventId, [PersonalData] string? subject, [PersonalData] string? organizer, string? start);
}
