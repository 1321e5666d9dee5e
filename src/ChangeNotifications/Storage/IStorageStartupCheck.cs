namespace ChangeNotifications.Storage;

/// <summary>Whether the configured store can be opened; when it cannot, the implementation has logged why.</summary>
internal interface IStorageStartupCheck
{
    Task<bool> OpensAsync(CancellationToken cancellationToken);
}
