namespace ChangeNotifications.Dispatching;

/// <summary>
/// How much of the machine's CPU this process used over the last full second or more of the injected clock: 1 is every
/// core (<see cref="Environment.ProcessorCount"/>, which follows a container's CPU limit). <see cref="DispatchPacing"/>
/// slows handling for a busy intake only while this is high, so a machine with cores to spare handles at full speed at
/// any request rate. Measured when asked, at most once a second: no timer of its own.
/// </summary>
internal sealed class ProcessCpu
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(1);

    private readonly TimeProvider _time;
    private readonly Func<TimeSpan> _cpuTime;
    private readonly int _cores;
    private readonly Lock _gate = new();
    private bool _started;
    private long _sampledAt;
    private TimeSpan _sampledCpu;
    private double _share;

    public ProcessCpu(TimeProvider time)
        : this(time, static () => Environment.CpuUsage.TotalTime, Environment.ProcessorCount)
    {
    }

    /// <param name="time">Wall time.</param>
    /// <param name="cpuTime">The process's CPU time so far (user and kernel, all threads).</param>
    /// <param name="cores">Cores the process may use.</param>
    internal ProcessCpu(TimeProvider time, Func<TimeSpan> cpuTime, int cores)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cores, 1);
        _time = time;
        _cpuTime = cpuTime;
        _cores = cores;
    }

    /// <summary>The share of all cores used between the last two measurements at least a second apart; 0 before that.</summary>
    public double Recent()
    {
        var now = _time.GetTimestamp();
        var cpu = _cpuTime();
        lock (_gate)
        {
            if (!_started)
            {
                _started = true;
                (_sampledAt, _sampledCpu) = (now, cpu);
                return _share;
            }

            var elapsed = _time.GetElapsedTime(_sampledAt, now);
            if (elapsed >= Window)
            {
                _share = (cpu - _sampledCpu) / (elapsed * _cores);
                (_sampledAt, _sampledCpu) = (now, cpu);
            }

            return _share;
        }
    }
}
