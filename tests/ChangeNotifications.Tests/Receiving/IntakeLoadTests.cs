using ChangeNotifications.Dispatching;
using ChangeNotifications.Receiving;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ChangeNotifications.Tests.Receiving;

public sealed class IntakeLoadTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Requests_answered_one_by_one_find_none_in_flight_however_many()
    {
        var load = new IntakeLoad(_time);
        Assert.Equal(new IntakeSample(0, 0), load.Recent());

        load.OneByOne(5_000);

        Assert.Equal(new IntakeSample(5_000, 0), load.Recent());
    }

    [Fact]
    public void Overlapping_requests_count_the_others_in_flight()
    {
        var load = new IntakeLoad(_time);

        load.Overlapping(9);

        Assert.Equal(new IntakeSample(9, 4), load.Recent());
    }

    [Fact]
    public void A_burst_counts_at_once_and_a_quiet_spell_after_a_whole_second()
    {
        var load = new IntakeLoad(_time);
        load.Overlapping(9);

        _time.Advance(TimeSpan.FromSeconds(1));
        load.OneByOne(3);
        Assert.Equal(new IntakeSample(9, 4), load.Recent());
        load.OneByOne(7);
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
        load.Overlapping(50);
        _time.Advance(TimeSpan.FromSeconds(5));

        load.OneByOne(2);

        Assert.Equal(new IntakeSample(2, 0), load.Recent());
    }

    [Fact]
    public void Stored_notifications_count_per_second_however_they_are_batched()
    {
        var load = new IntakeLoad(_time);
        load.Batches(10, 100);
        Assert.Equal(new IntakeSample(10, 0, 1_000), load.Recent());

        _time.Advance(TimeSpan.FromSeconds(1));
        load.Batches(3, 1);
        Assert.Equal(new IntakeSample(10, 0, 1_000), load.Recent());
        load.Batches(8, 1);
        Assert.Equal(new IntakeSample(11, 0, 11), load.Recent());

        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(new IntakeSample(0, 0, 0), load.Recent());
    }

    [Fact]
    public void Notifications_stored_before_a_gap_do_not_count_after_it()
    {
        var load = new IntakeLoad(_time);
        load.Batches(5, 100);
        _time.Advance(TimeSpan.FromSeconds(5));

        load.Batches(2, 3);

        Assert.Equal(new IntakeSample(2, 0, 6), load.Recent());
    }

    [Fact]
    public void The_dispatcher_reads_the_intake_load_whichever_Add_comes_first()
    {
        var configuration = new ConfigurationBuilder().Build();
        using (var alone = new ServiceCollection().AddDispatching(configuration).BuildServiceProvider())
        {
            Assert.IsType<NoIntakePressure>(alone.GetRequiredService<IIntakePressure>());
        }

        foreach (var services in new[]
        {
            new ServiceCollection().AddReceiving(configuration).AddDispatching(configuration),
            new ServiceCollection().AddDispatching(configuration).AddReceiving(configuration),
        })
        {
            using var provider = services.BuildServiceProvider();
            Assert.Same(provider.GetRequiredService<IntakeLoad>(), provider.GetRequiredService<IIntakePressure>());
        }
    }
}
