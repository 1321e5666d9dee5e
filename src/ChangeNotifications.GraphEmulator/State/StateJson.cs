using System.Text.Json.Nodes;

namespace ChangeNotifications.GraphEmulator.State;

/// <summary>Reads a saved state's properties; a missing or mistyped one is an <see cref="InvalidDataException"/> naming it.</summary>
internal static class StateJson
{
    public static T Required<T>(JsonObject owner, string name)
    {
        var node = owner[name] ?? throw new InvalidDataException($"'{name}' is missing.");
        try
        {
            return node is T typed ? typed : node.GetValue<T>();
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"'{name}' is not a {typeof(T).Name}.", ex);
        }
    }
}
