using ChangeNotifications.Dispatching;
using ChangeNotifications.Graph;
using ChangeNotifications.Resources;
using Microsoft.Graph;
using Microsoft.Graph.Models;

namespace ChangeNotifications.Handlers;

// Graph's table of change-notification resources lists only the legacy security alert (/security/alerts),
// whose SDK builders are marked obsolete; alerts_v2 has no subscriptions. Hence the one suppression.
#pragma warning disable CS0618

/// <summary>Security alerts (legacy <c>/security/alerts</c>): fetches severity, title and status. Resync: lists the
/// alerts the subscription's <c>$filter</c> selects.</summary>
internal sealed partial class AlertHandler(IGraphClientProvider graphClients, ILogger<AlertHandler> logger) : GraphChangeHandler(logger)
{
    private static readonly string[] Fields = ["severity", "title", "status"];

    public override ResourceType ResourceType => ResourceType.Alert;

    protected override async Task HandleChangeAsync(ChangeNotificationContext context, CancellationToken cancellationToken)
    {
        var id = RequireId(context, "alerts");
        Log(context.ChangeTypeName, id, await graphClients.ForApp().Security.Alerts[id].GetAsync(r => r.QueryParameters.Select = Fields, cancellationToken));
    }

    protected override async Task<int> ResyncItemsAsync(ResyncContext context, CancellationToken cancellationToken)
    {
        if (context.Resource.IdAfter("alerts") is { } id)
        {
            Log("resync", id, await graphClients.ForApp().Security.Alerts[id].GetAsync(r => r.QueryParameters.Select = Fields, cancellationToken));
            return 1;
        }

        var filter = FilterOf(context.Resource.Query);
        var alerts = graphClients.ForApp().Security.Alerts;
        var found = await GraphPages.ReadAsync(
            ct => alerts.GetAsync(r =>
            {
                r.QueryParameters.Select = Fields;
                r.QueryParameters.Filter = filter;
            }, ct),
            (url, ct) => alerts.WithUrl(url).GetAsync(cancellationToken: ct),
            page => page.Value,
            ResyncLimit,
            cancellationToken);
        found.ForEach(alert => Log("resync", alert.Id, alert));
        return found.Count;
    }

    private static string? FilterOf(string? query) =>
        query?.Split('&').Select(Uri.UnescapeDataString)
            .FirstOrDefault(p => p.StartsWith("$filter=", StringComparison.OrdinalIgnoreCase))?["$filter=".Length..];

    private void Log(string changeType, string? id, Alert? alert) =>
        LogAlertChanged(Logger, changeType, id, alert?.Severity?.ToString(), alert?.Title, alert?.Status?.ToString());

    [LoggerMessage(EventId = 5181, Level = LogLevel.Information, Message = "AlertChanged {ChangeType} {AlertId} {Severity} {Title} {Status}")]
    private static partial void LogAlertChanged(ILogger logger, string changeType, string? alertId, string? severity, string? title, string? status);
}
