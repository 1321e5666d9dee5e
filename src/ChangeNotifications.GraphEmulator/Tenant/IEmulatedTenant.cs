namespace ChangeNotifications.GraphEmulator.Tenant;

/// <summary>
/// The emulator's seeded directory and its resources (users, mail, drives, Teams, …). The change
/// generator asks it to change something under a subscription's resource path and learns what Graph
/// would then notify.
/// </summary>
public interface IEmulatedTenant
{
    /// <summary>
    /// Changes one resource under <paramref name="subscriptionResource"/> (a subscription's <c>resource</c>)
    /// with <paramref name="changeType"/> (<c>created</c>, <c>updated</c> or <c>deleted</c>) and returns what Graph
    /// would notify, or null when nothing under that path can change that way.
    /// </summary>
    EmulatedChange? MakeChange(string subscriptionResource, string changeType);

    /// <summary>
    /// Makes every delta link issued so far for the collection at <paramref name="resource"/> answer 410 Gone, as Graph
    /// does for an expired token; returns the collections affected. A tenant without delta queries has none.
    /// </summary>
    int ExpireDeltaLinks(string resource) => 0;
}

/// <summary>
/// One change as Graph reports it: <see cref="Resource"/> is the GUID path (<c>Users/{id}/Messages/{id}</c>),
/// never <c>me</c>; <see cref="ResourceJson"/> is the resource itself, for rich notifications.
/// </summary>
public sealed record EmulatedChange(
    string Resource,
    string ChangeType,
    string? ResourceId,
    string ODataType,
    string? ODataId,
    string? ETag,
    string? ResourceJson);
