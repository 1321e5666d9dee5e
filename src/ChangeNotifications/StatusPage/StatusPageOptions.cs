using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.StatusPage;

/// <summary>
/// Settings of section <c>StatusPage</c>: who may see the status page (people signed in with OpenID Connect through the
/// <c>AzureAd</c> section) and how many dead letters it lists.
/// </summary>
internal sealed class StatusPageOptions
{
    public const string Section = "StatusPage";

    /// <summary>The app role (<c>roles</c> claim of the id token) that lets a person see the page.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = $"{Section}:RequiredRole must name an app role.")]
    public string RequiredRole { get; set; } = "ChangeNotifications.Admin";

    /// <summary>A group object id (<c>groups</c> claim) that lets its members see the page too; null: the role only.</summary>
    public string? RequiredGroup { get; set; }

    /// <summary>Most dead letters the page lists (the newest).</summary>
    [SettingRange(1, 500, ErrorMessage = $"{Section}:DeadLetters must be between 1 and 500.")]
    public int DeadLetters { get; set; } = 50;
}

/// <summary>The bounds of <see cref="StatusPageOptions"/>, from its DataAnnotations attributes.</summary>
[OptionsValidator]
internal sealed partial class StatusPageOptionsValidator : IValidateOptions<StatusPageOptions>;
