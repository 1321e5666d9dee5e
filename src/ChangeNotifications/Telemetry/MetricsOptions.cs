using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Telemetry;

/// <summary>Settings of section <c>Metrics</c>.</summary>
internal sealed class MetricsOptions
{
    public const string Section = "Metrics";

    /// <summary>
    /// The bearer token a Prometheus scrape of <see cref="ScrapePath"/> must send (<c>Authorization: Bearer …</c>).
    /// Unset: the scrape endpoint is off.
    /// </summary>
    [StringLength(4096, MinimumLength = 16, ErrorMessage = $"{Section}:ScrapeToken must be 16 to 4096 characters (or unset, which turns /metrics off).")]
    public string? ScrapeToken { get; set; }

    /// <summary>Where Prometheus scrapes.</summary>
    [RegularExpression("^/[A-Za-z0-9/_-]*$", ErrorMessage = $"{Section}:ScrapePath must be a path starting with '/'.")]
    public string ScrapePath { get; set; } = "/metrics";
}

/// <summary>The bounds of <see cref="MetricsOptions"/>, from its DataAnnotations attributes.</summary>
[OptionsValidator]
internal sealed partial class MetricsOptionsValidator : IValidateOptions<MetricsOptions>;
