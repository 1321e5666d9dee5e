using ChangeNotifications.Inbox;
using Microsoft.Extensions.Time.Testing;

namespace ChangeNotifications.Tests.Inbox;

public sealed class InboxSignalTests
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero));
    private readonly InboxSignal _signal = new();

    [Fact]
    public async Task A_notify_wakes_the_waiter_before_its_poll()
    {
        var waiting = _signal.WaitAsync(Poll, _time, CancellationToken.None);
        Assert.False(waiting.IsCompleted);

        _signal.Notify();

        // The fake clock never moves here: only the notify can complete it.
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_notify_with_nobody_waiting_is_not_kept_for_the_next_wait()
    {
        _signal.Notify();

        var waiting = _signal.WaitAsync(Poll, _time, CancellationToken.None);
        await Task.Yield();
        Assert.False(waiting.IsCompleted);

        _time.Advance(Poll);
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Each_wait_needs_a_notify_of_its_own()
    {
        var first = _signal.WaitAsync(Poll, _time, CancellationToken.None);
        _signal.Notify();
        await first.WaitAsync(TimeSpan.FromSeconds(10));

        var second = _signal.WaitAsync(Poll, _time, CancellationToken.None);
        await Task.Yield();
        Assert.False(second.IsCompleted);
        _signal.Notify();
        await second.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Waiters_at_the_same_time_all_wake_on_one_notify()
    {
        var waits = Enumerable.Range(0, 3).Select(_ => _signal.WaitAsync(Poll, _time, CancellationToken.None)).ToArray();

        _signal.Notify();

        await Task.WhenAll(waits).WaitAsync(TimeSpan.FromSeconds(10));
    }
}
