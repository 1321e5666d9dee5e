using ChangeNotifications.Graph;
using ChangeNotifications.Logging;
using ChangeNotifications.Resources;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Graph.Users.Delta;
using Microsoft.Kiota.Abstractions;

namespace ChangeNotifications.Handlers;

/// <summary>
/// Directory users: fetches display name, UPN and job title (<c>updated</c> also means created or soft-deleted;
/// a soft-deleted user answers 404, logged as gone). Collection paths and resync: delta on <c>/users</c>.
/// </summary>
internal sealed partial class UserHandler(IGraphClientProvider graphClients, DeltaSync delta, ILogger<UserHandler> logger)
    : DirectoryChangeHandler<DeltaGetResponse, User>(delta, logger)
{
    private static readonly string[] Fields = ["displayName", "userPrincipalName", "jobTitle"];

    public override ResourceType ResourceType => ResourceType.User;

    protected override string Collection => "users";

    protected override async Task FetchAsync(string changeType, string id, ResourcePath subscribed, CancellationToken cancellationToken) =>
        Log(changeType, id, await graphClients.ForApp().Users[id].GetAsync(r => r.QueryParameters.Select = Fields, cancellationToken));

    protected override RequestInformation DeltaRequest() => graphClients.ForApp().Users.Delta.ToGetRequestInformation(r => r.QueryParameters.Select = Fields);

    protected override Task<DeltaGetResponse?> GetDeltaPageAsync(string url, CancellationToken cancellationToken) =>
        graphClients.ForApp().Users.Delta.WithUrl(url).GetAsDeltaGetResponseAsync(cancellationToken: cancellationToken);

    protected override List<User>? ItemsOf(DeltaGetResponse page) => page.Value;

    protected override void LogDelta(string changeType, User item) => Log(changeType, item.Id, item);

    private void Log(string changeType, string? id, User? user) =>
        LogUserChanged(Logger, changeType, id, user?.DisplayName, user?.UserPrincipalName, user?.JobTitle);

    [LoggerMessage(EventId = 5131, Level = LogLevel.Information, Message = "UserChanged {ChangeType} {UserId} {DisplayName} {UserPrincipalName} {JobTitle}")]
    private static partial void LogUserChanged(ILogger logger, string changeType, string? userId, [PersonalData] string? displayName, [PersonalData] string? userPrincipalName, [PersonalData] string? jobTitle);
}
