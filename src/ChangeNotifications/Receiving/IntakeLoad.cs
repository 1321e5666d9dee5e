using ChangeNotifications.Dispatching;

namespace ChangeNotifications.Receiving;

/// <summary>
/// How hard the receiving endpoints are pressed: how many requests arrive in a second, how many other requests each
/// one finds still in flight (requests queueing up: by Little's law, arrival rate × time to answer), and how many
/// notifications were stored, per second on the injected clock. The endpoints report every request (notifications,
/// lifecycle, handshakes) and the intake every batch it stored; the dispatcher reads it (<see cref="IIntakePressure"/>)
/// to leave the CPU to acknowledgements while they queue. A fast machine answering many requests quickly finds few in
/// flight and is not slowed; a saturated one finds many.
/// </summary>
internal sealed class IntakeLoad(TimeProvider time) : IIntakePressure
{
    private readonly Lock _gate = new();
    private long _second = -10;
    private Window _current;
    private Window _previous;
    private int _inFlight;
    private long _stored;
    private long _storedBeforeCurrent;

    /// <summary>Counts one request arriving; call <see cref="RequestFinished"/> once it is answered.</summary>
    public void RequestStarted()
    {
        var others = Interlocked.Increment(ref _inFlight) - 1;
        var second = Second();
        lock (_gate)
        {
            Roll(second);
            _current = new Window(_current.Requests + 1, _current.OthersInFlight + others);
        }
    }

    public void RequestFinished() => Interlocked.Decrement(ref _inFlight);

    /// <summary>Counts notifications stored (no lock: a batch of 100 weighs as much as 100 requests of one, at one
    /// interlocked add per batch).</summary>
    public void Stored(int notifications) => Interlocked.Add(ref _stored, notifications);

    /// <summary>
    /// The last full second, or the current one when it already had more requests (a burst counts at once, a quiet
    /// spell only after a whole second of it).
    /// </summary>
    public IntakeSample Recent()
    {
        var second = Second();
        lock (_gate)
        {
            Roll(second);
            var current = _current with { Notifications = Interlocked.Read(ref _stored) - _storedBeforeCurrent };
            var window = current.Requests > _previous.Requests ? current : _previous;
            return new IntakeSample(
                window.Requests,
                window.Requests == 0 ? 0 : (double)window.OthersInFlight / window.Requests,
                window.Notifications);
        }
    }

    private void Roll(long second)
    {
        if (second <= _second)
        {
            return; // this second, or a caller that read the clock before another rolled it on
        }

        // A batch stored counts in the second it is stored in (its request may have started in the one before).
        var stored = Interlocked.Read(ref _stored);
        _previous = second == _second + 1 ? _current with { Notifications = stored - _storedBeforeCurrent } : default;
        _storedBeforeCurrent = stored;
        _current = default;
        _second = second;
    }

    private long Second() => time.GetTimestamp() / time.TimestampFrequency;

    private readonly record struct Window(int Requests, long OthersInFlight, long Notifications = 0);
}
