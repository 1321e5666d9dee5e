using Microsoft.Extensions.Options;

namespace ChangeNotifications.Dispatching;

/// <summary>
/// Decides before each dispatcher round how hard to handle: <see cref="DispatcherOptions.BatchSize"/> items,
/// <see cref="DispatcherOptions.Concurrency"/> at a time, while the intake keeps up; while its requests queue
/// (<see cref="DispatcherOptions.BusyIntakeInFlight"/>) or flood in (<see cref="DispatcherOptions.BusyIntakeRequestsPerSecond"/>,
/// <see cref="DispatcherOptions.BusyIntakeNotificationsPerSecond"/>) and the process uses much of the machine's CPU
/// (<see cref="DispatcherOptions.BusyProcessCpu"/>, <see cref="ProcessCpu"/>) <see cref="DispatcherOptions.BatchSizeUnderLoad"/>
/// items, <see cref="DispatcherOptions.ConcurrencyUnderLoad"/> at a time (at least one: never a stop), with
/// <see cref="DispatcherOptions.PauseUnderLoad"/> between rounds, so acknowledgements keep the CPU. Quiet again after a
/// whole second with the intake under half of every threshold. Logs each switch once.
/// </summary>
/// <remarks>
/// The CPU only starts the slow pace, it does not end it: the trickle frees the CPU that full-speed handling took, so
/// a process that used little CPU while trickling would switch back, find the CPU short again a second later, and flip
/// every second or two, each full-speed second delaying acknowledgements.
/// </remarks>
internal sealed partial class DispatchPacing(IIntakePressure load, ProcessCpu cpu, IOptions<DispatcherOptions> options, ILogger<DispatchPacing> logger)
{
    private int _underLoad;

    public bool UnderLoad => Volatile.Read(ref _underLoad) == 1;

    public DispatchPace Next()
    {
        var settings = options.Value;
        var recent = load.Recent();
        var cpuShare = cpu.Recent();
        // Once busy, it takes a load under half of each threshold to be quiet again.
        var scale = UnderLoad ? 2 : 1;
        var intakeBusy = recent.AverageInFlight * scale >= settings.BusyIntakeInFlight
            || recent.RequestsPerSecond * scale >= settings.BusyIntakeRequestsPerSecond
            || recent.NotificationsPerSecond * scale >= settings.BusyIntakeNotificationsPerSecond;
        var cpuShort = UnderLoad || cpuShare >= settings.BusyProcessCpu;
        var underLoad = intakeBusy && cpuShort;
        var state = underLoad ? 1 : 0;
        if (Interlocked.Exchange(ref _underLoad, state) != state)
        {
            if (underLoad)
            {
                LogUnderLoad(logger, recent.RequestsPerSecond, recent.NotificationsPerSecond, recent.AverageInFlight, cpuShare * 100, settings.ConcurrencyUnderLoad, settings.BatchSizeUnderLoad, settings.PauseUnderLoad.TotalMilliseconds);
            }
            else
            {
                LogQuiet(logger, recent.RequestsPerSecond, recent.NotificationsPerSecond, recent.AverageInFlight, cpuShare * 100, settings.Concurrency);
            }
        }

        return underLoad
            ? new DispatchPace(settings.ConcurrencyUnderLoad, settings.BatchSizeUnderLoad, settings.PauseUnderLoad, UnderLoad: true)
            : new DispatchPace(settings.Concurrency, settings.BatchSize, TimeSpan.Zero, UnderLoad: false);
    }

    [LoggerMessage(EventId = 2006, Level = LogLevel.Information, Message = "Intake busy ({RequestsPerSecond} requests/s, {NotificationsPerSecond} notifications/s, {InFlight:0.0} in flight, process CPU {CpuPercent:0} % of the cores): dispatcher handles {Concurrency} at a time, {BatchSize} a round, pausing {PauseMs} ms between rounds")]
    private static partial void LogUnderLoad(ILogger logger, int requestsPerSecond, long notificationsPerSecond, double inFlight, double cpuPercent, int concurrency, int batchSize, double pauseMs);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Information, Message = "Intake keeps up again ({RequestsPerSecond} requests/s, {NotificationsPerSecond} notifications/s, {InFlight:0.0} in flight, process CPU {CpuPercent:0} % of the cores): dispatcher handles {Concurrency} at a time")]
    private static partial void LogQuiet(ILogger logger, int requestsPerSecond, long notificationsPerSecond, double inFlight, double cpuPercent, int concurrency);
}

/// <summary>How one dispatcher round runs: items at once, items claimed, and the pause after it.</summary>
internal readonly record struct DispatchPace(int Concurrency, int BatchSize, TimeSpan Pause, bool UnderLoad);
