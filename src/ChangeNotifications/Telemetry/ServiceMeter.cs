namespace ChangeNotifications.Telemetry;

/// <summary>
/// The one <see cref="System.Diagnostics.Metrics.Meter"/> every feature records on. Each feature's metrics class asks
/// the meter factory for it by this name; the factory hands all of them the same meter.
/// </summary>
internal static class ServiceMeter
{
    public const string Name = "ChangeNotifications";

    /// <summary>The tag that names a resource type (<see cref="Resources.ResourceType"/>).</summary>
    public const string ResourceTypeTag = "resource_type";
}
