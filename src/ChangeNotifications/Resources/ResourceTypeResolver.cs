using System.Text.RegularExpressions;

namespace ChangeNotifications.Resources;

/// <summary>
/// Tells the resource type of a subscription's resource path or of a notification's <c>resource</c>
/// (GUID paths such as <c>Users/{id}/Messages/{id}</c>, or <c>teams('{id}')/channels('{id}')/messages('{id}')</c>),
/// falling back to <c>resourceData.@odata.type</c>.
/// </summary>
internal static partial class ResourceTypeResolver
{
    private static readonly (Regex Pattern, ResourceType Type)[] Rules =
    [
        (PrinterJobs(), ResourceType.Printer),
        (PrintTasks(), ResourceType.PrintTaskDefinition),
        (Messages(), ResourceType.Message),
        (Events(), ResourceType.Event),
        (Contacts(), ResourceType.Contact),
        (Users(), ResourceType.User),
        (Conversations(), ResourceType.Conversation),
        (Groups(), ResourceType.Group),
        (DriveItems(), ResourceType.DriveItem),
        (Lists(), ResourceType.List),
        (Alerts(), ResourceType.Alert),
        (CallRecords(), ResourceType.CallRecord),
        (ChatMessages(), ResourceType.ChatMessage),
    ];

    private static readonly Dictionary<string, ResourceType> ByODataType = new(StringComparer.OrdinalIgnoreCase)
    {
        ["#microsoft.graph.printJob"] = ResourceType.Printer,
        ["#microsoft.graph.printTask"] = ResourceType.PrintTaskDefinition,
        ["#microsoft.graph.message"] = ResourceType.Message,
        ["#microsoft.graph.event"] = ResourceType.Event,
        ["#microsoft.graph.contact"] = ResourceType.Contact,
        ["#microsoft.graph.user"] = ResourceType.User,
        ["#microsoft.graph.group"] = ResourceType.Group,
        ["#microsoft.graph.conversation"] = ResourceType.Conversation,
        ["#microsoft.graph.driveItem"] = ResourceType.DriveItem,
        ["#microsoft.graph.list"] = ResourceType.List,
        ["#microsoft.graph.listItem"] = ResourceType.List,
        ["#microsoft.graph.alert"] = ResourceType.Alert,
        ["#microsoft.graph.callRecords.callRecord"] = ResourceType.CallRecord,
        ["#microsoft.graph.chatMessage"] = ResourceType.ChatMessage,
    };

    public static ResourceType Resolve(string? resource, string? odataType = null)
    {
        if (!string.IsNullOrWhiteSpace(resource))
        {
            var type = Resolve(ResourcePath.Parse(resource));
            if (type != ResourceType.Unknown)
            {
                return type;
            }
        }

        return odataType is not null && ByODataType.TryGetValue(odataType, out var byType) ? byType : ResourceType.Unknown;
    }

    public static ResourceType Resolve(ResourcePath path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var normalized = path.Normalized;
        foreach (var (pattern, type) in Rules)
        {
            if (pattern.IsMatch(normalized))
            {
                return type;
            }
        }

        return ResourceType.Unknown;
    }

    private const string Id = "[^/]+";

    [GeneratedRegex($"^print/printers/{Id}/jobs(/{Id})?$", RegexOptions.CultureInvariant)]
    private static partial Regex PrinterJobs();

    [GeneratedRegex($"^print/(taskdefinitions|printtaskdefinition)/{Id}/tasks(/{Id})?$", RegexOptions.CultureInvariant)]
    private static partial Regex PrintTasks();

    [GeneratedRegex($"^users/{Id}/(mailfolders/{Id}/(childfolders/{Id}/)*)?messages(/{Id})?$", RegexOptions.CultureInvariant)]
    private static partial Regex Messages();

    [GeneratedRegex($"^users/{Id}/(calendar/|calendars/{Id}/)?events(/{Id})?$", RegexOptions.CultureInvariant)]
    private static partial Regex Events();

    [GeneratedRegex($"^users/{Id}/(contactfolders/{Id}/)?contacts(/{Id})?$", RegexOptions.CultureInvariant)]
    private static partial Regex Contacts();

    [GeneratedRegex($"^users(/{Id})?$", RegexOptions.CultureInvariant)]
    private static partial Regex Users();

    [GeneratedRegex($"^groups/{Id}/(conversations|threads)(/.*)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Conversations();

    [GeneratedRegex($"^groups(/{Id}(/(owners|members)(/{Id})?)?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Groups();

    [GeneratedRegex($"^(users/{Id}/drive|drives/{Id})/(root|items/{Id})(/.*)?$", RegexOptions.CultureInvariant)]
    private static partial Regex DriveItems();

    [GeneratedRegex($"^sites/{Id}/lists/{Id}(/items(/{Id})?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Lists();

    [GeneratedRegex($"^security/alerts(/{Id})?$", RegexOptions.CultureInvariant)]
    private static partial Regex Alerts();

    [GeneratedRegex($"^communications/callrecords(/{Id})?$", RegexOptions.CultureInvariant)]
    private static partial Regex CallRecords();

    [GeneratedRegex($"^((teams|chats)/getallmessages|teams/{Id}/channels/{Id}/messages(/.*)?|chats/{Id}/messages(/.*)?)$", RegexOptions.CultureInvariant)]
    private static partial Regex ChatMessages();
}
