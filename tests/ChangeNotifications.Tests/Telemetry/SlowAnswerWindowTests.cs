using ChangeNotifications.Receiving;
using Microsoft.Extensions.Time.Testing;

namespace ChangeNotifications.Tests.Telemetry;

public sealed class SlowAnswerWindowTests
{
    [Fact]
    public void Share_counts_the_slow_answers_of_the_last_ten_minutes_only()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));
        var window = new SlowAnswerWindow(time);
        Assert.Equal(0, window.Share());

        window.Add(slow: true);
        time.Advance(TimeSpan.FromMinutes(5));
        window.Add(slow: false);
        window.Add(slow: false);
        window.Add(slow: false);
        Assert.Equal(0.25, window.Share());

        // The slow answer leaves the window; the three quick ones are still in it.
        time.Advance(TimeSpan.FromMinutes(5.5));
        Assert.Equal(0, window.Share());
        window.Add(slow: true);
        Assert.Equal(0.25, window.Share());

        time.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(0, window.Share());
    }
}
