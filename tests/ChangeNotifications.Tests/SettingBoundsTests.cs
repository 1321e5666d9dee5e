using ChangeNotifications.Dispatching;
using ChangeNotifications.Receiving;
using ChangeNotifications.Storage;

namespace ChangeNotifications.Tests;

/// <summary>The DataAnnotations bounds on the settings: each one out of range is refused with a message naming it.</summary>
public sealed class SettingBoundsTests
{
    [Fact]
    public void Defaults_are_within_bounds()
    {
        Assert.True(new DispatcherOptionsValidator().Validate(null, new DispatcherOptions()).Succeeded);
        Assert.True(new ReceivingOptionsValidator().Validate(null, new ReceivingOptions()).Succeeded);
        Assert.True(new StorageOptionsValidator().Validate(null, new StorageOptions()).Succeeded);
    }

    [Fact]
    public void Time_spans_out_of_range_are_refused_naming_the_setting()
    {
        var dispatcher = new DispatcherOptionsValidator().Validate(null, new DispatcherOptions
        {
            Lease = TimeSpan.FromSeconds(4),
            PollInterval = TimeSpan.Zero,
            DedupRetention = TimeSpan.FromHours(3),
            MaxAttempts = 101,
        });
        var receiving = new ReceivingOptionsValidator().Validate(null, new ReceivingOptions { StoreTimeout = TimeSpan.FromSeconds(3) });
        var storage = new StorageOptionsValidator().Validate(null, new StorageOptions { BusyTimeout = TimeSpan.FromMinutes(2), SqlitePath = " " });

        Assert.Contains("Dispatcher:Lease must be at least 00:00:05", dispatcher.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Dispatcher:PollInterval must be above zero", dispatcher.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Dispatcher:DedupRetention must be at least 04:00:00", dispatcher.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Dispatcher:MaxAttempts must be between 1 and 100", dispatcher.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Receiving:StoreTimeout must be above zero and under 00:00:03", receiving.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Storage:BusyTimeout must be between", storage.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Storage:SqlitePath must name a file", storage.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Bounds_are_inclusive_where_the_setting_says_at_least_or_at_most()
    {
        var dispatcher = new DispatcherOptionsValidator().Validate(null, new DispatcherOptions
        {
            Lease = TimeSpan.FromSeconds(5),
            PollInterval = TimeSpan.FromMinutes(5),
            DedupRetention = TimeSpan.FromHours(4),
            PauseUnderLoad = TimeSpan.Zero,
        });

        Assert.True(dispatcher.Succeeded, dispatcher.FailureMessage);
    }
}
