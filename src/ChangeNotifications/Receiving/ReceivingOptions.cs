using Microsoft.Extensions.Options;

namespace ChangeNotifications.Receiving;

/// <summary>Settings of section <c>Receiving</c>.</summary>
public sealed class ReceivingOptions
{
    public const string Section = "Receiving";

    /// <summary>Largest notification body accepted; larger ones get 413.</summary>
    public int MaxBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Longest validation token echoed; longer ones get 400.</summary>
    public int MaxValidationTokenLength { get; set; } = 1024;

    /// <summary>
    /// How long intake waits at most for the subscription lookup and the inbox before answering 503 (at least 95 % of
    /// it: <see cref="StoreDeadline"/>). Graph wants an answer within 3 s, so this stays well under it.
    /// </summary>
    public TimeSpan StoreTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Most lines a second, per event id, of the log lines anyone can cause on the anonymous endpoints (batch
    /// received, item dropped, request rejected, handshake answered or refused); 0 = no limit.
    /// </summary>
    public int LogLinesPerSecond { get; set; } = 20;
}

internal sealed class ReceivingOptionsValidator : IValidateOptions<ReceivingOptions>
{
    public ValidateOptionsResult Validate(string? name, ReceivingOptions options)
    {
        var errors = new List<string>();
        if (options.MaxBodyBytes is < 1024 or > 100 * 1024 * 1024)
        {
            errors.Add($"{ReceivingOptions.Section}:MaxBodyBytes must be between 1024 and 104857600 (got {options.MaxBodyBytes}).");
        }

        if (options.MaxValidationTokenLength is < 64 or > 16 * 1024)
        {
            errors.Add($"{ReceivingOptions.Section}:MaxValidationTokenLength must be between 64 and 16384 (got {options.MaxValidationTokenLength}).");
        }

        if (options.StoreTimeout <= TimeSpan.Zero || options.StoreTimeout >= TimeSpan.FromSeconds(3))
        {
            errors.Add($"{ReceivingOptions.Section}:StoreTimeout must be above zero and under 00:00:03, Graph's acknowledgement limit (got {options.StoreTimeout}).");
        }

        if (options.LogLinesPerSecond is < 0 or > 100_000)
        {
            errors.Add($"{ReceivingOptions.Section}:LogLinesPerSecond must be between 0 (no limit) and 100000 (got {options.LogLinesPerSecond}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
