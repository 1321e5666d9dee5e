using ChangeNotifications.Logging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace ChangeNotifications.Tests.Logging;

public sealed class LogRateLimiterTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero));
    private readonly FakeLogger _logger = new();

    [Fact]
    public void Lets_N_lines_a_second_through_per_event_id()
    {
        var limiter = new LogRateLimiter(3, _time);

        var first = Enumerable.Range(0, 5).Select(_ => limiter.ShouldLog(_logger, LogLevel.Information, 1010)).ToList();
        var other = limiter.ShouldLog(_logger, LogLevel.Warning, 1011);

        Assert.Equal([true, true, true, false, false], first);
        Assert.True(other);
        Assert.Equal(0, _logger.Collector.Count);
    }

    [Fact]
    public void Next_second_lets_lines_through_again_after_a_line_saying_how_many_were_left_out()
    {
        var limiter = new LogRateLimiter(2, _time);
        for (var i = 0; i < 7; i++)
        {
            limiter.ShouldLog(_logger, LogLevel.Warning, 1011);
        }

        _time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(limiter.ShouldLog(_logger, LogLevel.Warning, 1011));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(limiter.ShouldLog(_logger, LogLevel.Warning, 1011));

        var summary = Assert.Single(_logger.Collector.GetSnapshot());
        Assert.Equal(102, summary.Id.Id);
        Assert.Equal(LogLevel.Warning, summary.Level);
        Assert.Equal("6", summary.GetStructuredStateValue("SuppressedCount"));
        Assert.Equal("1011", summary.GetStructuredStateValue("SuppressedEventId"));

        Assert.True(limiter.ShouldLog(_logger, LogLevel.Warning, 1011));
        Assert.Single(_logger.Collector.GetSnapshot());
    }

    [Fact]
    public void Zero_lets_every_line_through()
    {
        var limiter = new LogRateLimiter(0, _time);

        Assert.All(Enumerable.Range(0, 1000), _ => Assert.True(limiter.ShouldLog(_logger, LogLevel.Information, 1010)));
        Assert.Equal(0, _logger.Collector.Count);
    }

    [Fact]
    public void A_level_that_is_off_is_neither_written_nor_counted()
    {
        var limiter = new LogRateLimiter(1, _time);
        _logger.ControlLevel(LogLevel.Information, false);

        Assert.False(limiter.ShouldLog(_logger, LogLevel.Information, 1010));
        Assert.False(limiter.ShouldLog(_logger, LogLevel.Information, 1010));
        _logger.ControlLevel(LogLevel.Information, true);

        Assert.True(limiter.ShouldLog(_logger, LogLevel.Information, 1010));
        Assert.Equal(0, _logger.Collector.Count);
    }

    [Fact]
    public void Negative_limit_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new LogRateLimiter(-1, _time));
}
