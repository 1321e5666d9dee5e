using ChangeNotifications.Receiving;
using Microsoft.Extensions.Time.Testing;

namespace ChangeNotifications.Tests.Receiving;

public sealed class IntakeLoadTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero));

    private static void Requests(IntakeLoad load, int count)
    {
        for (var i = 0; i < count; i++)
        {
            load.RequestStarted();
        }
    }

    [Fact]
    public void A_burst_counts_at_once_and_a_quiet_spell_after_a_whole_second()
    {
        var load = new IntakeLoad(_time);
        Assert.Equal(0, load.RecentRequestsPerSecond());

        Requests(load, 5);
        Assert.Equal(5, load.RecentRequestsPerSecond());

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(5, load.RecentRequestsPerSecond());
        Requests(load, 3);
        Assert.Equal(5, load.RecentRequestsPerSecond());
        Requests(load, 5);
        Assert.Equal(8, load.RecentRequestsPerSecond());

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(8, load.RecentRequestsPerSecond());
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, load.RecentRequestsPerSecond());
    }

    [Fact]
    public void Requests_after_a_gap_do_not_inherit_the_second_before_the_gap()
    {
        var load = new IntakeLoad(_time);
        Requests(load, 50);
        _time.Advance(TimeSpan.FromSeconds(5));

        Requests(load, 2);

        Assert.Equal(2, load.RecentRequestsPerSecond());
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, load.RecentRequestsPerSecond());
    }
}
