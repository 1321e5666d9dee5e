using ChangeNotifications.Receiving;
using Microsoft.Extensions.Time.Testing;

namespace ChangeNotifications.Tests.Receiving;

public sealed class IntakeLoadTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero));

    /// <summary><paramref name="count"/> requests all in flight at once, then answered: the k-th finds k − 1 others.</summary>
    private static void Overlapping(IntakeLoad load, int count)
    {
        for (var i = 0; i < count; i++)
        {
            load.RequestStarted();
        }

        for (var i = 0; i < count; i++)
        {
            load.RequestFinished();
        }
    }

    /// <summary><paramref name="count"/> requests one after the other: none finds another in flight.</summary>
    private static void OneByOne(IntakeLoad load, int count)
    {
        for (var i = 0; i < count; i++)
        {
            load.RequestStarted();
            load.RequestFinished();
        }
    }

    [Fact]
    public void Requests_answered_one_by_one_find_none_in_flight_however_many()
    {
        var load = new IntakeLoad(_time);
        Assert.Equal(new IntakeSample(0, 0), load.Recent());

        OneByOne(load, 5_000);

        Assert.Equal(new IntakeSample(5_000, 0), load.Recent());
    }

    [Fact]
    public void Overlapping_requests_count_the_others_in_flight()
    {
        var load = new IntakeLoad(_time);

        Overlapping(load, 9);

        Assert.Equal(new IntakeSample(9, 4), load.Recent());
    }

    [Fact]
    public void A_burst_counts_at_once_and_a_quiet_spell_after_a_whole_second()
    {
        var load = new IntakeLoad(_time);
        Overlapping(load, 9);

        _time.Advance(TimeSpan.FromSeconds(1));
        OneByOne(load, 3);
        Assert.Equal(new IntakeSample(9, 4), load.Recent());
        OneByOne(load, 7);
        Assert.Equal(new IntakeSample(10, 0), load.Recent());

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(new IntakeSample(10, 0), load.Recent());
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(new IntakeSample(0, 0), load.Recent());
    }

    [Fact]
    public void Requests_after_a_gap_do_not_inherit_the_second_before_the_gap()
    {
        var load = new IntakeLoad(_time);
        Overlapping(load, 50);
        _time.Advance(TimeSpan.FromSeconds(5));

        OneByOne(load, 2);

        Assert.Equal(new IntakeSample(2, 0), load.Recent());
    }
}
