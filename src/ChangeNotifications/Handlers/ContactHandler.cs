using ChangeNotifications.Dispatching;
using ChangeNotifications.Graph;
using ChangeNotifications.Logging;
using ChangeNotifications.Resources;
using Microsoft.Graph;
using Microsoft.Graph.Models;

namespace ChangeNotifications.Handlers;

/// <summary>Outlook contacts: fetches the display name. Resync: lists the contacts.</summary>
internal sealed partial class ContactHandler(IGraphClientProvider graphClients, ILogger<ContactHandler> logger) : GraphChangeHandler(logger)
{
    private static readonly string[] Fields = ["displayName"];

    public override ResourceType ResourceType => ResourceType.Contact;

    protected override async Task HandleChangeAsync(ChangeNotificationContext context, CancellationToken cancellationToken)
    {
        var id = RequireId(context, "contacts");
        var contact = await graphClients.ForApp().Users[RequireId(context.Resource, "users")].Contacts[id].GetAsync(r => r.QueryParameters.Select = Fields, cancellationToken);
        LogContactChanged(Logger, context.ChangeTypeName, id, contact?.DisplayName);
    }

    protected override async Task<int> ResyncItemsAsync(ResyncContext context, CancellationToken cancellationToken)
    {
        var contacts = graphClients.ForApp().Users[RequireId(context.Resource, "users")].Contacts;
        var found = await GraphPages.ReadAsync(
            ct => contacts.GetAsync(r => r.QueryParameters.Select = Fields, ct),
            (url, ct) => contacts.WithUrl(url).GetAsync(cancellationToken: ct),
            page => page.Value,
            ResyncLimit,
            cancellationToken);
        found.ForEach(contact => LogContactChanged(Logger, "resync", contact.Id, contact.DisplayName));
        return found.Count;
    }

    [LoggerMessage(EventId = 5121, Level = LogLevel.Information, Message = "ContactChanged {ChangeType} {ContactId} {DisplayName}")]
    private static partial void LogContactChanged(ILogger logger, string changeType, string? contactId, [PersonalData] string? displayName);
}
