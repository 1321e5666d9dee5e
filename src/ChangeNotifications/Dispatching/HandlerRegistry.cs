using ChangeNotifications.Resources;

namespace ChangeNotifications.Dispatching;

/// <summary>
/// The handler for each resource type: the last one registered for a type wins, so an application replaces
/// a built-in handler with one DI line. Types with none fall back to <see cref="LoggingChangeHandler"/>.
/// </summary>
internal sealed class HandlerRegistry
{
    private readonly Dictionary<ResourceType, IChangeNotificationHandler> _handlers = [];
    private readonly LoggingChangeHandler _fallback;

    public HandlerRegistry(IEnumerable<IChangeNotificationHandler> handlers, LoggingChangeHandler fallback)
    {
        ArgumentNullException.ThrowIfNull(handlers);
        foreach (var handler in handlers)
        {
            _handlers[handler.ResourceType] = handler;
        }

        _fallback = fallback;
    }

    public IChangeNotificationHandler For(ResourceType type) =>
        _handlers.TryGetValue(type, out var handler) ? handler : _fallback;

    public bool HasHandlerFor(ResourceType type) => _handlers.ContainsKey(type);
}
