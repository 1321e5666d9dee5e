namespace ChangeNotifications.Resources;

/// <summary>
/// The resource types of Graph's table of supported change-notification resources.
/// OneDrive personal and OneDrive for Business are two rows of that table but one type here: both are
/// driveItems, handled by a delta query; the catalog tells their paths apart.
/// </summary>
public enum ResourceType
{
    Unknown = 0,
    Printer,
    PrintTaskDefinition,
    Message,
    Event,
    Contact,
    User,
    Group,
    Conversation,
    DriveItem,
    List,
    Alert,
    CallRecord,
    ChatMessage,
}
