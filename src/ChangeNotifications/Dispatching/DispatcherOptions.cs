using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Dispatching;

/// <summary>Settings of section <c>Dispatcher</c>.</summary>
internal sealed class DispatcherOptions
{
    public const string Section = "Dispatcher";

    /// <summary>Run the dispatcher loop in this process (tests turn it off and call the tick themselves).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Items claimed per round.</summary>
    [SettingRange(1, 1000, ErrorMessage = $"{Section}:BatchSize must be between 1 and 1000.")]
    public int BatchSize { get; set; } = 64;

    /// <summary>Items handled at once.</summary>
    [SettingRange(1, 256, ErrorMessage = $"{Section}:Concurrency must be between 1 and 256.")]
    public int Concurrency { get; set; } = 8;

    /// <summary>
    /// Items handled at once while the intake is busy (<see cref="BusyIntakeInFlight"/>): acknowledging has priority,
    /// handling can lag because the inbox is durable. At least 1, so handling never stops.
    /// </summary>
    public int ConcurrencyUnderLoad { get; set; } = 1;

    /// <summary>
    /// Items claimed per round while the intake is busy (lifecycle events first). Busy means more notifications than
    /// handling keeps up with anyway: the backlog grows whatever the pace, so a trickle (≈ 20 a second with the pause)
    /// that keeps lifecycle events moving, and the CPU for acknowledging (8 a round cost ≈ 10 % of the acknowledgements
    /// a second on 2 cores).
    /// </summary>
    public int BatchSizeUnderLoad { get; set; } = 2;

    /// <summary>
    /// The intake is busy when its requests find, on average over a second, at least this many other requests still
    /// being answered (they queue: the CPU is short); it is quiet again after a whole second under half of it.
    /// </summary>
    [SettingRange(1d, double.MaxValue, ErrorMessage = $"{Section}:BusyIntakeInFlight must be at least 1.")]
    public double BusyIntakeInFlight { get; set; } = 4;

    /// <summary>
    /// The intake is also busy from this many requests a second, however fast each is answered (handshakes are answered
    /// at once and never count as in flight, yet a flood of them takes the CPU); quiet again under half of it.
    /// </summary>
    [SettingRange(1, int.MaxValue, ErrorMessage = $"{Section}:BusyIntakeRequestsPerSecond must be at least 1.")]
    public int BusyIntakeRequestsPerSecond { get; set; } = 5_000;

    /// <summary>
    /// The intake is also busy from this many notifications stored a second, however they are batched (200 requests of
    /// 100 items weigh as much as 20 000 of one); quiet again under half of it.
    /// </summary>
    [SettingRange(1, int.MaxValue, ErrorMessage = $"{Section}:BusyIntakeNotificationsPerSecond must be at least 1.")]
    public int BusyIntakeNotificationsPerSecond { get; set; } = 5_000;

    /// <summary>
    /// The intake's load starts slowing handling only while the process also uses at least this share of the machine's
    /// cores (over the last second; 1 = all of them, <see cref="ProcessCpu"/>): the CPU is short. A machine with cores to
    /// spare handles at full speed at any request rate. Once slowed, handling stays slow for as long as the intake is
    /// busy: the CPU the trickle frees says nothing about what full speed takes. 0: the intake's load alone decides.
    /// </summary>
    [SettingRange(0d, 1d, ErrorMessage = $"{Section}:BusyProcessCpu must be between 0 and 1, a share of the cores.")]
    public double BusyProcessCpu { get; set; } = 0.5;

    /// <summary>Pause after each round while the intake is busy (zero: none), leaving the CPU to acknowledgements.</summary>
    [SettingRange(typeof(TimeSpan), "00:00:00", "00:00:01", ErrorMessage = $"{Section}:PauseUnderLoad must be between 00:00:00 and 00:00:01.")]
    public TimeSpan PauseUnderLoad { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Attempts before an item is dead-lettered.</summary>
    [SettingRange(1, 100, ErrorMessage = $"{Section}:MaxAttempts must be between 1 and 100.")]
    public int MaxAttempts { get; set; } = 8;

    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a claim holds an item; a claim of a process that died runs out after it.</summary>
    [SettingRange(typeof(TimeSpan), "00:00:05", SettingRangeAttribute.MaxTimeSpan, ErrorMessage = $"{Section}:Lease must be at least 00:00:05.")]
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the inbox is polled when nothing woke the dispatcher.</summary>
    [SettingRange(typeof(TimeSpan), "00:00:00.0000001", "00:05:00", ErrorMessage = $"{Section}:PollInterval must be above zero and at most 00:05:00.")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long handled items (and so their dedup keys) are kept. Graph redelivers for up to 4 h.</summary>
    [SettingRange(typeof(TimeSpan), "04:00:00", SettingRangeAttribute.MaxTimeSpan, ErrorMessage = $"{Section}:DedupRetention must be at least 04:00:00, as long as Graph redelivers.")]
    public TimeSpan DedupRetention { get; set; } = TimeSpan.FromHours(6);
}

/// <summary>The simple bounds of <see cref="DispatcherOptions"/>, from its DataAnnotations attributes.</summary>
[OptionsValidator]
internal sealed partial class DispatcherOptionsBoundsValidator : IValidateOptions<DispatcherOptions>;

/// <summary>
/// <see cref="DispatcherOptions"/>' simple bounds (<see cref="DispatcherOptionsBoundsValidator"/>) and the rules that
/// relate two settings.
/// </summary>
internal sealed class DispatcherOptionsValidator : IValidateOptions<DispatcherOptions>
{
    private readonly DispatcherOptionsBoundsValidator _bounds = new();

    public ValidateOptionsResult Validate(string? name, DispatcherOptions options)
    {
        const string s = DispatcherOptions.Section;
        var errors = new ValidateOptionsResultBuilder();
        errors.AddResult(_bounds.Validate(name, options));
        if (options.ConcurrencyUnderLoad < 1 || options.ConcurrencyUnderLoad > options.Concurrency)
        {
            errors.AddError($"{s}:ConcurrencyUnderLoad must be between 1 and {s}:Concurrency ({options.Concurrency}) (got {options.ConcurrencyUnderLoad}).");
        }

        if (options.BatchSizeUnderLoad < 1 || options.BatchSizeUnderLoad > options.BatchSize)
        {
            errors.AddError($"{s}:BatchSizeUnderLoad must be between 1 and {s}:BatchSize ({options.BatchSize}) (got {options.BatchSizeUnderLoad}).");
        }

        if (options.InitialBackoff <= TimeSpan.Zero || options.MaxBackoff < options.InitialBackoff)
        {
            errors.AddError($"{s}:InitialBackoff must be above zero and {s}:MaxBackoff at least as long (got {options.InitialBackoff} and {options.MaxBackoff}).");
        }

        return errors.Build();
    }
}
