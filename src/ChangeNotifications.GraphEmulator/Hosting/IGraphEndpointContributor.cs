using Microsoft.AspNetCore.Routing;

namespace ChangeNotifications.GraphEmulator.Hosting;

/// <summary>
/// Implemented by an <see cref="Tenant.IEmulatedTenant"/> that serves Graph resources (GET by id, delta):
/// the server maps them under <c>/v1.0</c>, behind the same bearer-token check and faults as the subscriptions API.
/// </summary>
public interface IGraphEndpointContributor
{
    void MapGraphEndpoints(RouteGroupBuilder graph);
}
