using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Admin;

/// <summary>
/// Settings of section <c>Admin</c>: the app role callers of the admin API need, its rate limit and page size. Who may
/// sign tokens for it is the <c>AzureAd</c> section (Microsoft.Identity.Web's), which falls back to the <c>Graph</c>
/// app registration in Live mode and is the built-in emulator in Emulator mode.
/// </summary>
internal sealed class AdminOptions
{
    public const string Section = "Admin";

    /// <summary>The app role (<c>roles</c> claim) a token must carry.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = $"{Section}:RequiredRole must name an app role.")]
    public string RequiredRole { get; set; } = "ChangeNotifications.Admin";

    /// <summary>Most items a page of notifications or dead letters holds (a request may ask for fewer).</summary>
    [SettingRange(1, 1000, ErrorMessage = $"{Section}:MaxPageSize must be between 1 and 1000.")]
    public int MaxPageSize { get; set; } = 200;

    [ValidateObjectMembers]
    public AdminRateLimitOptions RateLimit { get; set; } = new();
}

/// <summary>
/// Settings of section <c>Admin:RateLimit</c>: a fixed window per caller address (ASP.NET Core's rate limiter); past
/// <see cref="PermitLimit"/> in a window, requests are answered 429 with Retry-After. Webhook routes never count.
/// </summary>
internal sealed class AdminRateLimitOptions
{
    [SettingRange(1, 1_000_000, ErrorMessage = $"{AdminOptions.Section}:RateLimit:PermitLimit must be between 1 and 1000000.")]
    public int PermitLimit { get; set; } = 120;

    [SettingRange(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = $"{AdminOptions.Section}:RateLimit:Window must be between 00:00:01 and 1.00:00:00.")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>The bounds of <see cref="AdminOptions"/>, from its DataAnnotations attributes.</summary>
[OptionsValidator]
internal sealed partial class AdminOptionsValidator : IValidateOptions<AdminOptions>;
