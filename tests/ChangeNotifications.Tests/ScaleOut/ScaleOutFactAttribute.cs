using ChangeNotifications.Tests.Infrastructure;

namespace ChangeNotifications.Tests.ScaleOut;

/// <summary>
/// A test of the whole topology (<c>scripts/topology.sh</c>): it needs PostgreSQL's binaries and nginx. Skipped, with
/// the reason, where either is missing; under CI (<c>CI=true</c>, where <c>.ci/run</c> installs both) it runs and
/// fails instead.
/// </summary>
internal sealed class ScaleOutFactAttribute : FactAttribute
{
    public ScaleOutFactAttribute() => Skip = PostgresAvailability.SkipReason ?? NginxSkipReason;

    private static string? NginxSkipReason =>
        !File.Exists("/usr/sbin/nginx") && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
            ? "nginx required (apt-get install nginx); CI installs it and runs this test."
            : null;
}
