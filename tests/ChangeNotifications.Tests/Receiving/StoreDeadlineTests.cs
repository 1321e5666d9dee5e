using ChangeNotifications.Receiving;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ChangeNotifications.Tests.Receiving;

public sealed class StoreDeadlineTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Slice = Timeout / 20;

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero));
    private readonly StoreDeadline _deadline;

    public StoreDeadlineTests() =>
        _deadline = new StoreDeadline(Options.Create(new ReceivingOptions { StoreTimeout = Timeout }), _time);

    [Fact]
    public void A_token_is_cancelled_at_the_store_timeout_and_not_before()
    {
        var token = _deadline.Token();

        _time.Advance(Timeout - TimeSpan.FromTicks(1));
        Assert.False(token.IsCancellationRequested);

        _time.Advance(TimeSpan.FromTicks(1));
        Assert.True(token.IsCancellationRequested);
    }

    [Fact]
    public void Requests_of_one_slice_share_a_token_and_the_last_still_waits_most_of_the_timeout()
    {
        var first = _deadline.Token();
        _time.Advance(Slice - TimeSpan.FromTicks(1));
        var last = _deadline.Token();
        Assert.Equal(first, last);

        // Taken a slice late, it has 95 % of the timeout left.
        _time.Advance(Timeout - Slice);
        Assert.False(last.IsCancellationRequested);
        _time.Advance(TimeSpan.FromTicks(1));
        Assert.True(last.IsCancellationRequested);
    }

    [Fact]
    public void The_next_slice_gets_a_token_of_its_own()
    {
        var first = _deadline.Token();
        _time.Advance(Slice);
        var next = _deadline.Token();
        Assert.NotEqual(first, next);

        _time.Advance(Timeout - Slice);
        Assert.True(first.IsCancellationRequested);
        Assert.False(next.IsCancellationRequested);
        _time.Advance(Slice);
        Assert.True(next.IsCancellationRequested);
    }

    [Fact]
    public void Every_token_is_cancelled_between_95_and_100_percent_of_the_timeout_after_it_was_taken()
    {
        var step = Slice / 10;
        var taken = new List<(DateTimeOffset At, CancellationToken Token)>();
        for (var i = 0; i < 50; i++)
        {
            taken.Add((_time.GetUtcNow(), _deadline.Token()));
            _time.Advance(step);
        }

        Assert.Equal(5, taken.Select(t => t.Token).Distinct().Count());
        while (taken.Any(t => !t.Token.IsCancellationRequested))
        {
            var now = _time.GetUtcNow();
            foreach (var (at, token) in taken)
            {
                var waited = now - at;
                Assert.True(token.IsCancellationRequested ? waited >= Timeout * 0.95 : waited < Timeout, $"waited {waited}, cancelled {token.IsCancellationRequested}");
            }

            _time.Advance(step);
        }
    }
}
