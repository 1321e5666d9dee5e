using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace ChangeNotifications;

/// <summary>
/// <see cref="RangeAttribute"/> for settings, whose <c>ErrorMessage</c> names the setting as it is written in
/// configuration (<c>Section:Key</c>). The options validator generator swaps a plain <c>[Range]</c> for its own copy,
/// which drops <c>ErrorMessage</c>; a derived attribute is used as it is. The message may show the refused value as
/// <c>{3}</c> (after the usual <c>{0}</c> name, <c>{1}</c> minimum and <c>{2}</c> maximum).
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class SettingRangeAttribute : RangeAttribute
{
    /// <summary><see cref="TimeSpan.MaxValue"/> as a range attribute takes it: no upper bound.</summary>
    public const string MaxTimeSpan = "10675199.02:48:05.4775807";

    public SettingRangeAttribute(int minimum, int maximum)
        : base(minimum, maximum)
    {
    }

    public SettingRangeAttribute(double minimum, double maximum)
        : base(minimum, maximum)
    {
    }

    public SettingRangeAttribute(Type type, string minimum, string maximum)
        : base(type, minimum, maximum)
    {
        ParseLimitsInInvariantCulture = true;
    }

    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        ArgumentNullException.ThrowIfNull(validationContext);
        if (IsValid(value))
        {
            return ValidationResult.Success;
        }

        var message = string.Format(CultureInfo.InvariantCulture, ErrorMessageString, validationContext.DisplayName, Minimum, Maximum, value);
        return new ValidationResult(message, validationContext.MemberName is { } member ? [member] : null);
    }
}
