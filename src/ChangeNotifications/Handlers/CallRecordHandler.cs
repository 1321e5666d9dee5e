using ChangeNotifications.Dispatching;
using ChangeNotifications.Graph;
using ChangeNotifications.Resources;
using Microsoft.Graph;
using Microsoft.Graph.Models.CallRecords;

namespace ChangeNotifications.Handlers;

/// <summary>Teams call records: fetches type, start, end and counts the participants (<c>participants_v2</c>).
/// Resync: lists the call records.</summary>
internal sealed partial class CallRecordHandler(IGraphClientProvider graphClients, ILogger<CallRecordHandler> logger) : GraphChangeHandler(logger)
{
    private static readonly string[] Fields = ["type", "startDateTime", "endDateTime"];
    private static readonly string[] IdOnly = ["id"];

    public override ResourceType ResourceType => ResourceType.CallRecord;

    protected override async Task HandleChangeAsync(ChangeNotificationContext context, CancellationToken cancellationToken)
    {
        var id = RequireId(context, "callrecords");
        var record = await graphClients.ForApp().Communications.CallRecords[id].GetAsync(r => r.QueryParameters.Select = Fields, cancellationToken);
        await LogAsync(context.ChangeTypeName, id, record, cancellationToken);
    }

    protected override async Task<int> ResyncItemsAsync(ResyncContext context, CancellationToken cancellationToken)
    {
        var records = graphClients.ForApp().Communications.CallRecords;
        var found = await GraphPages.ReadAsync(
            ct => records.GetAsync(r => r.QueryParameters.Select = Fields, ct),
            (url, ct) => records.WithUrl(url).GetAsync(cancellationToken: ct),
            page => page.Value,
            ResyncLimit,
            cancellationToken);
        foreach (var record in found)
        {
            await LogAsync("resync", record.Id!, record, cancellationToken);
        }

        return found.Count;
    }

    private async Task LogAsync(string changeType, string id, CallRecord? record, CancellationToken cancellationToken)
    {
        var participants = graphClients.ForApp().Communications.CallRecords[id].Participants_v2;
        var count = (await GraphPages.ReadAsync(
            ct => participants.GetAsync(r => r.QueryParameters.Select = IdOnly, ct),
            (url, ct) => participants.WithUrl(url).GetAsync(cancellationToken: ct),
            page => page.Value,
            int.MaxValue,
            cancellationToken)).Count;
        LogCallRecordChanged(Logger, changeType, id, record?.Type?.ToString(), record?.StartDateTime, record?.EndDateTime, count);
    }

    [LoggerMessage(EventId = 5191, Level = LogLevel.Information, Message = "CallRecordChanged {ChangeType} {CallRecordId} {CallType} {StartedAt:o} {EndedAt:o} participants={ParticipantCount}")]
    private static partial void LogCallRecordChanged(ILogger logger, string changeType, string callRecordId, string? callType, DateTimeOffset? startedAt, DateTimeOffset? endedAt, int participantCount);
}
