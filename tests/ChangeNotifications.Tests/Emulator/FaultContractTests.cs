using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Kiota.Abstractions;
using ChangeNotifications.Tests.Infrastructure;

namespace ChangeNotifications.Tests.Emulator;

/// <summary>Faults of the control API as the Graph SDK sees them.</summary>
public sealed class FaultContractTests
{
    [Fact]
    public async Task Throttled_request_is_retried_by_the_sdk_after_retry_after()
    {
        await using var emulator = await EmulatorFixture.StartAsync();
        emulator.Control.ThrottleNextRequests(1, TimeSpan.FromSeconds(1));

        var page = await emulator.Graph.Subscriptions.GetAsync();

        Assert.NotNull(page?.Value);
    }

    [Fact]
    public async Task Throttling_past_the_sdks_retries_surfaces_as_aggregate_of_429s_with_retry_after()
    {
        await using var emulator = await EmulatorFixture.StartAsync();
        emulator.Control.ThrottleNextRequests(4, TimeSpan.Zero);

        // Kiota's RetryHandler gives up after 3 retries with an AggregateException of ApiExceptions, not an ODataError.
        var error = await Assert.ThrowsAsync<AggregateException>(() => emulator.Graph.Subscriptions.GetAsync());

        Assert.Equal(4, error.InnerExceptions.Count);
        Assert.All(error.InnerExceptions, inner =>
        {
            var api = Assert.IsAssignableFrom<ApiException>(inner);
            Assert.Equal(429, api.ResponseStatusCode);
            Assert.True(api.ResponseHeaders.ContainsKey("Retry-After"));
        });
    }

    [Fact]
    public async Task Internal_server_error_surfaces_as_odata_error_500()
    {
        await using var emulator = await EmulatorFixture.StartAsync();
        emulator.Control.FailNextRequests(1, 500);

        var error = await Assert.ThrowsAsync<ODataError>(() => emulator.Graph.Subscriptions.GetAsync());
        var page = await emulator.Graph.Subscriptions.GetAsync();

        Assert.Equal(500, error.ResponseStatusCode);
        Assert.NotNull(page?.Value);
    }

    [Fact]
    public async Task Service_unavailable_with_retry_after_is_retried_by_the_sdk()
    {
        await using var emulator = await EmulatorFixture.StartAsync();
        emulator.Control.FailNextRequests(2, 503, retryAfter: TimeSpan.Zero);

        var page = await emulator.Graph.Subscriptions.GetAsync();

        Assert.NotNull(page?.Value);
    }

    [Theory]
    [InlineData(400, "BadRequest")]
    [InlineData(403, "ErrorAccessDenied")]
    [InlineData(414, "RequestUriTooLong")]
    [InlineData(422, "UnprocessableEntity")]
    public async Task Client_error_surfaces_as_odata_error_with_graphs_code_and_is_not_retried_by_the_sdk(int status, string code)
    {
        await using var emulator = await EmulatorFixture.StartAsync();
        emulator.Control.RejectNextRequests(2, status);

        var error = await Assert.ThrowsAsync<ODataError>(() => emulator.Graph.Subscriptions.GetAsync());
        var second = await Assert.ThrowsAsync<ODataError>(() => emulator.Graph.Subscriptions.GetAsync());
        var page = await emulator.Graph.Subscriptions.GetAsync();

        Assert.Equal(status, error.ResponseStatusCode);
        Assert.Equal(code, error.Error?.Code);
        Assert.Equal(status, second.ResponseStatusCode);
        Assert.NotNull(page?.Value);
    }

    [Fact]
    public async Task Forbidden_with_retry_after_carries_the_header()
    {
        await using var emulator = await EmulatorFixture.StartAsync();
        emulator.Control.RejectNextRequests(1, 403, "activityLimitReached", TimeSpan.FromSeconds(30));

        var error = await Assert.ThrowsAsync<ODataError>(() => emulator.Graph.Subscriptions.GetAsync());

        Assert.Equal(403, error.ResponseStatusCode);
        Assert.Equal("activityLimitReached", error.Error?.Code);
        Assert.Equal("30", Assert.Single(error.ResponseHeaders["Retry-After"]));
    }

    [Fact]
    public async Task Dropped_connection_surfaces_as_a_network_error()
    {
        await using var emulator = await EmulatorFixture.StartAsync();
        emulator.Control.DropNextRequests(1);

        await Assert.ThrowsAsync<HttpRequestException>(() => emulator.Graph.Subscriptions.GetAsync());
        var page = await emulator.Graph.Subscriptions.GetAsync();

        Assert.NotNull(page?.Value);
    }

    [Fact]
    public async Task Slow_answer_fault_delays_the_next_request_only()
    {
        await using var emulator = await EmulatorFixture.StartAsync();
        await emulator.Graph.Subscriptions.GetAsync();
        emulator.Control.SlowNextRequests(1, TimeSpan.FromMilliseconds(400));

        var slow = System.Diagnostics.Stopwatch.StartNew();
        await emulator.Graph.Subscriptions.GetAsync();
        slow.Stop();

        Assert.True(slow.Elapsed >= TimeSpan.FromMilliseconds(390), $"answered after {slow.Elapsed}");
    }
}
