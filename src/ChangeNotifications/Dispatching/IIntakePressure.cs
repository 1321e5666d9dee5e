namespace ChangeNotifications.Dispatching;

/// <summary>
/// How hard the intake is pressed, for <see cref="DispatchPacing"/>: the dispatcher leaves the CPU to acknowledgements
/// while requests queue or flood in. The receiving endpoints implement it; a process without them is never busy.
/// </summary>
internal interface IIntakePressure
{
    /// <summary>The last full second, or the current one when it already had more requests.</summary>
    IntakeSample Recent();
}

/// <summary>Requests in a second, how many other requests each found in flight on average, and the notifications stored
/// in that second.</summary>
internal readonly record struct IntakeSample(int RequestsPerSecond, double AverageInFlight, long NotificationsPerSecond = 0);

/// <summary>The pressure of a process that receives nothing.</summary>
internal sealed class NoIntakePressure : IIntakePressure
{
    public IntakeSample Recent() => default;
}
