using ChangeNotifications.Tests.Infrastructure;

namespace ChangeNotifications.Tests.Graph;

/// <summary>The service in Emulator mode keeps the emulator's state beside its SQLite file.</summary>
public sealed class EmulatorHostStateTests
{
    [Fact]
    public void An_unreadable_emulator_state_file_stops_the_service_start_naming_the_file()
    {
        using var service = new ServiceFactory();
        var statePath = Path.Combine(Path.GetDirectoryName(service.DatabasePath)!, "graph-emulator.json");
        File.WriteAllText(statePath, "{ not json");

        var error = Assert.ThrowsAny<Exception>(() => service.CreateClient());

        var messages = string.Join(" | ", Causes(error).Select(e => e.Message));
        Assert.Contains($"The Graph emulator's state file '{statePath}' cannot be loaded", messages, StringComparison.Ordinal);
        Assert.Equal("{ not json", File.ReadAllText(statePath));
    }

    private static IEnumerable<Exception> Causes(Exception error) =>
        error is AggregateException aggregate
            ? aggregate.InnerExceptions.SelectMany(Causes)
            : error.InnerException is { } inner ? [error, .. Causes(inner)] : [error];
}
