using ChangeNotifications.Dispatching;
using ChangeNotifications.Graph;
using ChangeNotifications.Resources;
using Microsoft.Graph;
using Microsoft.Graph.Models;

namespace ChangeNotifications.Handlers;

/// <summary>
/// Universal Print task definitions (JobStarted): fetches the task and marks it <c>completed</c> through the
/// API, as Universal Print requires of the task's application (else the job stays blocked). Resync: completes
/// every task of the definition that is not completed yet.
/// </summary>
internal sealed partial class PrintTaskHandler(IGraphClientProvider graphClients, ILogger<PrintTaskHandler> logger) : GraphChangeHandler(logger)
{
    private static readonly string[] Fields = ["id", "parentUrl", "status"];

    public override ResourceType ResourceType => ResourceType.PrintTaskDefinition;

    protected override Task HandleChangeAsync(ChangeNotificationContext context, CancellationToken cancellationToken) =>
        CompleteAsync(context.ChangeTypeName, DefinitionId(context.Resource), RequireId(context, "tasks"), cancellationToken);

    protected override async Task<int> ResyncItemsAsync(ResyncContext context, CancellationToken cancellationToken)
    {
        var definitionId = DefinitionId(context.Resource);
        var tasks = graphClients.ForApp().Print.TaskDefinitions[definitionId].Tasks;
        var found = await GraphPages.ReadAsync(
            ct => tasks.GetAsync(r => r.QueryParameters.Select = Fields, ct),
            (url, ct) => tasks.WithUrl(url).GetAsync(cancellationToken: ct),
            page => page.Value, ResyncLimit, cancellationToken);
        foreach (var task in found.Where(t => t.Status?.State != PrintTaskProcessingState.Completed))
        {
            await CompleteAsync("resync", definitionId, task.Id!, cancellationToken);
        }

        return found.Count;
    }

    private static string DefinitionId(ResourcePath path) =>
        path.IdAfter("taskdefinitions") ?? RequireId(path, "printtaskdefinition");

    private async Task CompleteAsync(string changeType, string definitionId, string taskId, CancellationToken cancellationToken)
    {
        var task = graphClients.ForApp().Print.TaskDefinitions[definitionId].Tasks[taskId];
        var found = await task.GetAsync(r => r.QueryParameters.Select = Fields, cancellationToken);
        var previous = found?.Status?.State;
        if (previous != PrintTaskProcessingState.Completed)
        {
            await task.PatchAsync(
                new PrintTask { Status = new PrintTaskStatus { State = PrintTaskProcessingState.Completed, Description = "Processed by ChangeNotifications" } },
                cancellationToken: cancellationToken);
        }

        LogPrintTaskCompleted(Logger, changeType, definitionId, taskId, found?.ParentUrl, previous?.ToString());
    }

    [LoggerMessage(EventId = 5221, Level = LogLevel.Information, Message = "PrintTaskCompleted {ChangeType} {DefinitionId} {TaskId} for {ParentUrl} (was {PreviousState})")]
    private static partial void LogPrintTaskCompleted(ILogger logger, string changeType, string definitionId, string taskId, string? parentUrl, string? previousState);
}
