using System.Net;
using ChangeNotifications.Graph;
using ChangeNotifications.Subscriptions;
using Microsoft.Graph.Models.ODataErrors;

namespace ChangeNotifications.Tests.Subscriptions;

public class RetryAndFailureTests
{
    private static readonly TimeSpan Base = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Max = TimeSpan.FromMinutes(30);

    [Theory]
    [InlineData(1, 24, 36)]
    [InlineData(2, 48, 72)]
    [InlineData(4, 192, 288)]
    [InlineData(20, 1440, 1800)]
    public void Backoff_doubles_with_jitter_and_stops_at_the_maximum(int failures, double minSeconds, double maxSeconds)
    {
        foreach (var sample in new[] { 0.0, 0.5, 0.999 })
        {
            var delay = RetryBackoff.Delay(failures, Base, Max, retryAfter: null, sample);
            Assert.InRange(delay.TotalSeconds, minSeconds, maxSeconds);
        }
    }

    [Fact]
    public void Retry_after_is_never_shortened()
    {
        var delay = RetryBackoff.Delay(1, Base, Max, TimeSpan.FromMinutes(5), jitterSample: 0);
        Assert.Equal(TimeSpan.FromMinutes(5), delay);
        Assert.InRange(RetryBackoff.Delay(1, Base, Max, TimeSpan.FromMinutes(5), 0.99), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5.5));
    }

    [Fact]
    public void ODataError_gives_status_message_and_retry_after()
    {
        var error = new ODataError
        {
            ResponseStatusCode = (int)HttpStatusCode.TooManyRequests,
            Error = new MainError { Code = "TooManyRequests", Message = "Slow down" },
            ResponseHeaders = new Dictionary<string, IEnumerable<string>> { ["retry-after"] = ["120"] },
        };

        var failure = GraphFailure.From(error);

        Assert.True(failure.IsThrottled);
        Assert.Equal(TimeSpan.FromSeconds(120), failure.RetryAfter);
        Assert.Equal("429 TooManyRequests: Slow down", failure.Reason);
    }

    [Fact]
    public void Validation_timeout_is_recognised()
    {
        var failure = GraphFailure.From(new ODataError
        {
            ResponseStatusCode = 400,
            Error = new MainError { Code = "InvalidRequest", Message = "Subscription validation request timed out." },
        });

        Assert.True(failure.IsValidationFailure);
        Assert.False(failure.IsNotFound);
    }

    [Fact]
    public void Client_states_are_random_alphanumeric_and_within_graphs_limit()
    {
        var states = Enumerable.Range(0, 50).Select(_ => ClientStateGenerator.Create()).ToList();
        Assert.Equal(50, states.Distinct(StringComparer.Ordinal).Count());
        Assert.All(states, s => Assert.True(s.Length <= 128 && s.All(char.IsAsciiLetterOrDigit)));
    }
}
