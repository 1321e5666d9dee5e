using Microsoft.Extensions.Options;

namespace ChangeNotifications.Dispatching;

/// <summary>Settings of section <c>Dispatcher</c>.</summary>
public sealed class DispatcherOptions
{
    public const string Section = "Dispatcher";

    /// <summary>Run the dispatcher loop in this process (tests turn it off and call the tick themselves).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Items claimed per round.</summary>
    public int BatchSize { get; set; } = 64;

    /// <summary>Items handled at once.</summary>
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
    public double BusyIntakeInFlight { get; set; } = 4;

    /// <summary>
    /// The intake is also busy from this many requests a second, however fast each is answered (handshakes are answered
    /// at once and never count as in flight, yet a flood of them takes the CPU); quiet again under half of it.
    /// </summary>
    public int BusyIntakeRequestsPerSecond { get; set; } = 5_000;

    /// <summary>
    /// The intake is also busy from this many notifications stored a second, however they are batched (200 requests of
    /// 100 items weigh as much as 20 000 of one); quiet again under half of it.
    /// </summary>
    public int BusyIntakeNotificationsPerSecond { get; set; } = 5_000;

    /// <summary>
    /// The intake's load starts slowing handling only while the process also uses at least this share of the machine's
    /// cores (over the last second; 1 = all of them, <see cref="ProcessCpu"/>): the CPU is short. A machine with cores to
    /// spare handles at full speed at any request rate. Once slowed, handling stays slow for as long as the intake is
    /// busy: the CPU the trickle frees says nothing about what full speed takes. 0: the intake's load alone decides.
    /// </summary>
    public double BusyProcessCpu { get; set; } = 0.5;

    /// <summary>Pause after each round while the intake is busy (zero: none), leaving the CPU to acknowledgements.</summary>
    public TimeSpan PauseUnderLoad { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Attempts before an item is dead-lettered.</summary>
    public int MaxAttempts { get; set; } = 8;

    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a claim holds an item; a claim of a process that died runs out after it.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the inbox is polled when nothing woke the dispatcher.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long handled items (and so their dedup keys) are kept. Graph redelivers for up to 4 h.</summary>
    public TimeSpan DedupRetention { get; set; } = TimeSpan.FromHours(6);
}

internal sealed class DispatcherOptionsValidator : IValidateOptions<DispatcherOptions>
{
    public ValidateOptionsResult Validate(string? name, DispatcherOptions options)
    {
        const string s = DispatcherOptions.Section;
        var errors = new List<string>();
        if (options.BatchSize is < 1 or > 1000)
        {
            errors.Add($"{s}:BatchSize must be between 1 and 1000 (got {options.BatchSize}).");
        }

        if (options.Concurrency is < 1 or > 256)
        {
            errors.Add($"{s}:Concurrency must be between 1 and 256 (got {options.Concurrency}).");
        }

        if (options.ConcurrencyUnderLoad < 1 || options.ConcurrencyUnderLoad > options.Concurrency)
        {
            errors.Add($"{s}:ConcurrencyUnderLoad must be between 1 and {s}:Concurrency ({options.Concurrency}) (got {options.ConcurrencyUnderLoad}).");
        }

        if (options.BatchSizeUnderLoad < 1 || options.BatchSizeUnderLoad > options.BatchSize)
        {
            errors.Add($"{s}:BatchSizeUnderLoad must be between 1 and {s}:BatchSize ({options.BatchSize}) (got {options.BatchSizeUnderLoad}).");
        }

        if (!(options.BusyIntakeInFlight >= 1))
        {
            errors.Add($"{s}:BusyIntakeInFlight must be at least 1 (got {options.BusyIntakeInFlight}).");
        }

        if (options.BusyIntakeRequestsPerSecond < 1)
        {
            errors.Add($"{s}:BusyIntakeRequestsPerSecond must be at least 1 (got {options.BusyIntakeRequestsPerSecond}).");
        }

        if (options.BusyIntakeNotificationsPerSecond < 1)
        {
            errors.Add($"{s}:BusyIntakeNotificationsPerSecond must be at least 1 (got {options.BusyIntakeNotificationsPerSecond}).");
        }

        if (!(options.BusyProcessCpu >= 0 && options.BusyProcessCpu <= 1))
        {
            errors.Add($"{s}:BusyProcessCpu must be between 0 and 1, a share of the cores (got {options.BusyProcessCpu}).");
        }

        if (options.PauseUnderLoad < TimeSpan.Zero || options.PauseUnderLoad > TimeSpan.FromSeconds(1))
        {
            errors.Add($"{s}:PauseUnderLoad must be between 00:00:00 and 00:00:01 (got {options.PauseUnderLoad}).");
        }

        if (options.MaxAttempts is < 1 or > 100)
        {
            errors.Add($"{s}:MaxAttempts must be between 1 and 100 (got {options.MaxAttempts}).");
        }

        if (options.InitialBackoff <= TimeSpan.Zero || options.MaxBackoff < options.InitialBackoff)
        {
            errors.Add($"{s}:InitialBackoff must be above zero and {s}:MaxBackoff at least as long (got {options.InitialBackoff} and {options.MaxBackoff}).");
        }

        if (options.Lease < TimeSpan.FromSeconds(5))
        {
            errors.Add($"{s}:Lease must be at least 00:00:05 (got {options.Lease}).");
        }

        if (options.PollInterval <= TimeSpan.Zero || options.PollInterval > TimeSpan.FromMinutes(5))
        {
            errors.Add($"{s}:PollInterval must be above zero and at most 00:05:00 (got {options.PollInterval}).");
        }

        if (options.DedupRetention < TimeSpan.FromHours(4))
        {
            errors.Add($"{s}:DedupRetention must be at least 04:00:00, as long as Graph redelivers (got {options.DedupRetention}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
