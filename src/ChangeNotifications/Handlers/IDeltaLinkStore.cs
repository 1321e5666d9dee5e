namespace ChangeNotifications.Handlers;

/// <summary>
/// The last <c>@odata.deltaLink</c> of each delta-tracked resource (a drive, a list, the users …), so a
/// handler resumes where it stopped, across restarts. Keys are opaque to the store.
/// </summary>
internal interface IDeltaLinkStore
{
    Task<string?> GetAsync(string key, CancellationToken cancellationToken);

    Task SetAsync(string key, string deltaLink, CancellationToken cancellationToken);
}
