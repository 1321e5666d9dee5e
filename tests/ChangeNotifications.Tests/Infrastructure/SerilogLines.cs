using System.Collections.Concurrent;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Display;

namespace ChangeNotifications.Tests.Infrastructure;

/// <summary>
/// A Serilog sink beside the configured ones (registered as a service, which the service's Serilog set-up reads):
/// every line exactly as the console writes it, after Serilog's levels and the redaction in front of it.
/// </summary>
internal sealed class SerilogLines : ILogEventSink
{
    private const string ConsoleTemplate = "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}";
    private readonly MessageTemplateTextFormatter _formatter = new(ConsoleTemplate);
    private readonly ConcurrentQueue<(LogEvent Event, string Text)> _lines = new();

    /// <summary>The events and their console text, oldest first.</summary>
    public IReadOnlyList<(LogEvent Event, string Text)> Snapshot() => [.. _lines];

    /// <summary>Everything written, as the console shows it.</summary>
    public string Text() => string.Concat(_lines.Select(l => l.Text));

    public void Emit(LogEvent logEvent)
    {
        using var text = new StringWriter();
        _formatter.Format(logEvent, text);
        _lines.Enqueue((logEvent, text.ToString()));
    }
}
