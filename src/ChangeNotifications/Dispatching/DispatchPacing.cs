using ChangeNotifications.Receiving;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Dispatching;

/// <summary>
/// Decides before each dispatcher round how hard to handle: at <see cref="DispatcherOptions.Concurrency"/> while the
/// intake is quiet, at <see cref="DispatcherOptions.ConcurrencyUnderLoad"/> (at least one item: never a stop) with
/// <see cref="DispatcherOptions.PauseUnderLoad"/> between rounds while it is busy, so acknowledgements keep the CPU.
/// Busy from <see cref="DispatcherOptions.BusyIntakeRequestsPerSecond"/>, quiet again under half of it. Logs each switch once.
/// </summary>
public sealed partial class DispatchPacing(IntakeLoad load, IOptions<DispatcherOptions> options, ILogger<DispatchPacing> logger)
{
    private int _underLoad;

    public bool UnderLoad => Volatile.Read(ref _underLoad) == 1;

    public DispatchPace Next()
    {
        var settings = options.Value;
        var rate = load.RecentRequestsPerSecond();
        var underLoad = UnderLoad
            ? rate * 2 >= settings.BusyIntakeRequestsPerSecond
            : rate >= settings.BusyIntakeRequestsPerSecond;
        if (Interlocked.Exchange(ref _underLoad, underLoad ? 1 : 0) != (underLoad ? 1 : 0))
        {
            if (underLoad)
            {
                LogUnderLoad(logger, rate, settings.ConcurrencyUnderLoad, settings.PauseUnderLoad.TotalMilliseconds);
            }
            else
            {
                LogQuiet(logger, rate, settings.Concurrency);
            }
        }

        return underLoad
            ? new DispatchPace(settings.ConcurrencyUnderLoad, settings.PauseUnderLoad, UnderLoad: true)
            : new DispatchPace(settings.Concurrency, TimeSpan.Zero, UnderLoad: false);
    }

    [LoggerMessage(EventId = 2006, Level = LogLevel.Information, Message = "Intake busy ({RequestsPerSecond} requests/s): dispatcher handles {Concurrency} at a time, pausing {PauseMs} ms between rounds")]
    private static partial void LogUnderLoad(ILogger logger, int requestsPerSecond, int concurrency, double pauseMs);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Information, Message = "Intake quiet ({RequestsPerSecond} requests/s): dispatcher handles {Concurrency} at a time again")]
    private static partial void LogQuiet(ILogger logger, int requestsPerSecond, int concurrency);
}

/// <summary>How one dispatcher round runs: items at once, and the pause after it.</summary>
public readonly record struct DispatchPace(int Concurrency, TimeSpan Pause, bool UnderLoad);
