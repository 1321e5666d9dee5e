using ChangeNotifications.Dispatching;
using ChangeNotifications.Graph;
using ChangeNotifications.Logging;
using ChangeNotifications.Resources;
using Microsoft.Graph;
using Microsoft.Graph.Models;

namespace ChangeNotifications.Handlers;

/// <summary>Universal Print printer jobs (JobFetchable): fetches the job and its document metadata. Resync: lists the printer's jobs.</summary>
internal sealed partial class PrintJobHandler(IGraphClientProvider graphClients, ILogger<PrintJobHandler> logger) : GraphChangeHandler(logger)
{
    private static readonly string[] JobFields = ["id", "status", "createdDateTime", "isFetchable"];
    private static readonly string[] DocumentFields = ["id", "displayName", "contentType", "size"];

    public override ResourceType ResourceType => ResourceType.Printer;

    protected override Task HandleChangeAsync(ChangeNotificationContext context, CancellationToken cancellationToken) =>
        FetchAsync(context.ChangeTypeName, RequireId(context.Resource, "printers"), RequireId(context, "jobs"), cancellationToken);

    protected override async Task<int> ResyncItemsAsync(ResyncContext context, CancellationToken cancellationToken)
    {
        var printerId = RequireId(context.Resource, "printers");
        var jobs = graphClients.ForApp().Print.Printers[printerId].Jobs;
        var found = await GraphPages.ReadAsync(
            ct => jobs.GetAsync(r => r.QueryParameters.Select = ["id"], ct),
            (url, ct) => jobs.WithUrl(url).GetAsync(cancellationToken: ct),
            page => page.Value, ResyncLimit, cancellationToken);
        foreach (var job in found)
        {
            await FetchAsync("resync", printerId, job.Id!, cancellationToken);
        }

        return found.Count;
    }

    private async Task FetchAsync(string changeType, string printerId, string jobId, CancellationToken cancellationToken)
    {
        var job = graphClients.ForApp().Print.Printers[printerId].Jobs[jobId];
        var found = await job.GetAsync(r => r.QueryParameters.Select = JobFields, cancellationToken);
        var documents = await job.Documents.GetAsync(r => r.QueryParameters.Select = DocumentFields, cancellationToken);
        var document = documents?.Value?.FirstOrDefault();
        LogPrintJob(Logger, changeType, printerId, jobId, found?.Status?.State?.ToString(), found?.IsFetchable,
            documents?.Value?.Count ?? 0, document?.DisplayName, document?.ContentType, document?.Size);
    }

    [LoggerMessage(EventId = 5211, Level = LogLevel.Information, Message = "PrintJobChanged {ChangeType} {PrinterId} {JobId} {JobState} fetchable={IsFetchable} documents={DocumentCount} {DocumentName} {ContentType} {SizeBytes}")]
    private static partial void LogPrintJob(ILogger logger, string changeType, string printerId, string jobId, string? jobState, bool? isFetchable, int documentCount, [PersonalData] string? documentName, string? contentType, long? sizeBytes);
}
