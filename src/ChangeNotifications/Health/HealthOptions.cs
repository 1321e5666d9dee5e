using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Health;

/// <summary>Settings of section <c>Health</c>: the thresholds past which <c>/health/ready</c> reports Degraded.</summary>
internal sealed class HealthOptions
{
    public const string Section = "Health";

    /// <summary>The oldest item not handled yet may be this old before the <c>store</c> check reports Degraded.</summary>
    [SettingRange(typeof(TimeSpan), "00:00:01", "7.00:00:00", ErrorMessage = $"{Section}:MaxBacklogAge must be between 00:00:01 and 7.00:00:00.")]
    public TimeSpan MaxBacklogAge { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Dead-lettered items (waiting for a replay) past which the <c>store</c> check reports Degraded.</summary>
    [SettingRange(0, 100_000_000, ErrorMessage = $"{Section}:MaxDeadLetters must be between 0 and 100000000.")]
    public int MaxDeadLetters { get; set; } = 100;

    /// <summary>How far back the <c>handling</c> check looks for a resource type whose items all fail.</summary>
    [SettingRange(typeof(TimeSpan), "00:01:00", "01:00:00", ErrorMessage = $"{Section}:FailingTypeWindow must be between 00:01:00 and 01:00:00.")]
    public TimeSpan FailingTypeWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Failed attempts (retries and dead letters) in the window, with none handled, that make a type failing.</summary>
    [SettingRange(1, 1_000_000, ErrorMessage = $"{Section}:FailingTypeMinimum must be between 1 and 1000000.")]
    public int FailingTypeMinimum { get; set; } = 3;

    /// <summary>
    /// How much longer than <c>Subscriptions:ReconcileInterval</c> the reconciler may go without finishing a round
    /// before the <c>renewer</c> check reports Degraded.
    /// </summary>
    [SettingRange(typeof(TimeSpan), "00:00:10", "1.00:00:00", ErrorMessage = $"{Section}:RenewerGrace must be between 00:00:10 and 1.00:00:00.")]
    public TimeSpan RenewerGrace { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the inbox's backlog gauges are refreshed from the store.</summary>
    [SettingRange(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = $"{Section}:SampleInterval must be between 00:00:01 and 01:00:00.")]
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(15);
}

/// <summary>The bounds of <see cref="HealthOptions"/>, from its DataAnnotations attributes.</summary>
[OptionsValidator]
internal sealed partial class HealthOptionsValidator : IValidateOptions<HealthOptions>;
