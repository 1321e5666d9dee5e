using System.ComponentModel.DataAnnotations;

namespace ChangeNotifications;

/// <summary>
/// <see cref="RangeAttribute"/> for settings, whose <c>ErrorMessage</c> names the setting as it is written in
/// configuration (<c>Section:Key</c>). The options validator generator swaps a plain <c>[Range]</c> for its own copy,
/// which drops <c>ErrorMessage</c>; a derived attribute is used as it is.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class SettingRangeAttribute : RangeAttribute
{
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
}
