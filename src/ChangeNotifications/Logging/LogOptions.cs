using ChangeNotifications.Graph;

namespace ChangeNotifications.Logging;

/// <summary>
/// The service's own key in section <c>Logging</c> (ASP.NET Core's <c>LogLevel</c> keys there are unused: Serilog's
/// section sets the levels). Read while the host is built: the redactor is chosen before the container exists.
/// </summary>
internal sealed class LogOptions
{
    public const string Section = "Logging";

    /// <summary>Whether log parameters classified as personal data are written; unset: yes in Emulator mode (made-up
    /// data), no in Live mode.</summary>
    public bool? PersonalData { get; set; }

    public static bool PersonalDataAllowed(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = configuration.GetSection(Section).Get<LogOptions>() ?? new LogOptions();
        return options.PersonalData
            ?? configuration.GetValue($"{GraphOptions.Section}:{nameof(GraphOptions.Mode)}", GraphMode.Emulator) == GraphMode.Emulator;
    }
}
