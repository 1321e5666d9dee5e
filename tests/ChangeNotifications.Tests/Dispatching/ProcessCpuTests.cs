using ChangeNotifications.Dispatching;
using Microsoft.Extensions.Time.Testing;

namespace ChangeNotifications.Tests.Dispatching;

public sealed class ProcessCpuTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero));
    private readonly ProcessCpu _cpu;
    private TimeSpan _used;

    public ProcessCpuTests() => _cpu = new ProcessCpu(_time, () => _used, cores: 4);

    [Fact]
    public void The_share_is_of_all_cores_over_the_last_second_and_zero_before_one_has_passed()
    {
        Assert.Equal(0, _cpu.Recent());
        _time.Advance(TimeSpan.FromMilliseconds(500));
        _used += TimeSpan.FromSeconds(1);
        Assert.Equal(0, _cpu.Recent());

        _time.Advance(TimeSpan.FromMilliseconds(500));
        _used += TimeSpan.FromSeconds(1);
        Assert.Equal(0.5, _cpu.Recent(), 6);
    }

    [Fact]
    public void Within_a_second_the_last_figure_holds_and_a_longer_gap_is_averaged_over_its_length()
    {
        _cpu.Recent();
        _time.Advance(TimeSpan.FromSeconds(1));
        _used += TimeSpan.FromSeconds(4);
        Assert.Equal(1, _cpu.Recent(), 6);

        _time.Advance(TimeSpan.FromMilliseconds(900));
        Assert.Equal(1, _cpu.Recent(), 6);

        _time.Advance(TimeSpan.FromSeconds(3.1));
        _used += TimeSpan.FromSeconds(1);
        Assert.Equal(0.0625, _cpu.Recent(), 6);
    }

    [Fact]
    public void The_real_process_uses_some_cpu()
    {
        var cpu = new ProcessCpu(TimeProvider.System);
        cpu.Recent();
        var until = DateTime.UtcNow.AddSeconds(1.1);
        while (DateTime.UtcNow < until)
        {
            Thread.SpinWait(1_000);
        }

        // A second of this thread spinning, on Environment.ProcessorCount cores.
        Assert.InRange(cpu.Recent(), 0.01, 1.01);
    }
}
