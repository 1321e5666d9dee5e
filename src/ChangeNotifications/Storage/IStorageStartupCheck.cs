namespace ChangeNotifications.Storage;

/// <summary>Whether the configured store can be opened; when it cannot, the implementation has logged why.</summary>
internal interface IStorageStartupCheck
{
    Task<bool> OpensAsync(CancellationToken cancellationToken);
}

/// <summary>The configured store cannot be used at start-up; the message names the setting to look at.</summary>
internal sealed class StorageUnavailableException(string message) : Exception(message);

/// <summary>
/// A store's start-up check, run by Program before the host starts (a failure then exits with code 1 and no stack trace)
/// and, as a hosted service, at the start of any other host, before the other hosted services.
/// </summary>
internal abstract class StorageStartupCheck : IStorageStartupCheck, IHostedLifecycleService
{
    public abstract Task<bool> OpensAsync(CancellationToken cancellationToken);

    /// <summary>What the host's start fails with: the setting to look at (the log line before says why).</summary>
    protected abstract string UnavailableMessage { get; }

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        if (!await OpensAsync(cancellationToken))
        {
            throw new StorageUnavailableException(UnavailableMessage);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
