using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Receiving;

/// <summary>Settings of section <c>Receiving</c>.</summary>
internal sealed class ReceivingOptions
{
    public const string Section = "Receiving";

    /// <summary>Largest notification body accepted; larger ones get 413.</summary>
    [SettingRange(1024, 100 * 1024 * 1024, ErrorMessage = $"{Section}:MaxBodyBytes must be between 1024 and 104857600.")]
    public int MaxBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Longest validation token echoed; longer ones get 400.</summary>
    [SettingRange(64, 16 * 1024, ErrorMessage = $"{Section}:MaxValidationTokenLength must be between 64 and 16384.")]
    public int MaxValidationTokenLength { get; set; } = 1024;

    /// <summary>
    /// How long intake waits at most for the subscription lookup and the inbox before answering 503 (at least 95 % of
    /// it: <see cref="StoreDeadline"/>). Graph wants an answer within 3 s, so this stays well under it.
    /// </summary>
    [SettingRange(typeof(TimeSpan), "00:00:00.0000001", "00:00:02.9999999", ErrorMessage = $"{Section}:StoreTimeout must be above zero and under 00:00:03, Graph's acknowledgement limit.")]
    public TimeSpan StoreTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Most lines a second, per event id, of the log lines anyone can cause on the anonymous endpoints (batch
    /// received, item dropped, request rejected, handshake answered or refused); 0 = no limit.
    /// </summary>
    [SettingRange(0, 100_000, ErrorMessage = $"{Section}:LogLinesPerSecond must be between 0 (no limit) and 100000.")]
    public int LogLinesPerSecond { get; set; } = 20;
}

/// <summary>The bounds of <see cref="ReceivingOptions"/>, from its DataAnnotations attributes.</summary>
[OptionsValidator]
internal sealed partial class ReceivingOptionsValidator : IValidateOptions<ReceivingOptions>;
