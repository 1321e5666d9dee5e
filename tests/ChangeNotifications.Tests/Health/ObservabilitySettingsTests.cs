using ChangeNotifications.Health;
using ChangeNotifications.Telemetry;

namespace ChangeNotifications.Tests.Health;

/// <summary>The bounds of sections <c>Health</c> and <c>Metrics</c>: a wrong value is refused naming the setting.</summary>
public sealed class ObservabilitySettingsTests
{
    [Fact]
    public void Defaults_are_within_bounds()
    {
        Assert.True(new HealthOptionsValidator().Validate(null, new HealthOptions()).Succeeded);
        Assert.True(new MetricsOptionsValidator().Validate(null, new MetricsOptions()).Succeeded);
        Assert.True(new MetricsOptionsValidator().Validate(null, new MetricsOptions { ScrapeToken = new string('t', 16) }).Succeeded);
    }

    [Fact]
    public void Values_out_of_range_are_refused_naming_the_setting()
    {
        var health = new HealthOptionsValidator().Validate(null, new HealthOptions
        {
            MaxBacklogAge = TimeSpan.Zero,
            MaxDeadLetters = -1,
            FailingTypeWindow = TimeSpan.FromHours(2),
            FailingTypeMinimum = 0,
            RenewerGrace = TimeSpan.FromSeconds(1),
            SampleInterval = TimeSpan.Zero,
        });
        var metrics = new MetricsOptionsValidator().Validate(null, new MetricsOptions { ScrapeToken = "short", ScrapePath = "metrics" });

        foreach (var setting in new[] { "MaxBacklogAge", "MaxDeadLetters", "FailingTypeWindow", "FailingTypeMinimum", "RenewerGrace", "SampleInterval" })
        {
            Assert.Contains($"Health:{setting} must be", health.FailureMessage, StringComparison.Ordinal);
        }

        Assert.Contains("Metrics:ScrapeToken must be 16 to 4096 characters", metrics.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Metrics:ScrapePath must be a path", metrics.FailureMessage, StringComparison.Ordinal);
    }
}
