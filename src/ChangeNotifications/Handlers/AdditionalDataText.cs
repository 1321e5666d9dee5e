using System.Globalization;
using System.Text.Json;
using Microsoft.Kiota.Abstractions.Serialization;

namespace ChangeNotifications.Handlers;

/// <summary>Reads a text value out of a Graph model's <c>AdditionalData</c> (list item fields, open types):
/// Kiota stores untyped JSON there as <see cref="UntypedNode"/>.</summary>
internal static class AdditionalDataText
{
    public static string? Get(IDictionary<string, object>? data, string key) =>
        data is not null && data.TryGetValue(key, out var value) ? Text(value) : null;

    private static string? Text(object? value) => value switch
    {
        null => null,
        string s => s,
        UntypedString s => s.GetValue(),
        UntypedInteger i => i.GetValue().ToString(CultureInfo.InvariantCulture),
        UntypedLong l => l.GetValue().ToString(CultureInfo.InvariantCulture),
        UntypedDouble d => d.GetValue().ToString(CultureInfo.InvariantCulture),
        UntypedBoolean b => b.GetValue() ? "true" : "false",
        UntypedNull => null,
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
        JsonElement e => e.GetRawText(),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture),
    };
}
