using ChangeNotifications.Graph;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ChangeNotifications.Tests.Infrastructure;

/// <summary>
/// A generic host with <c>AddGraph</c> as the service wires it, over in-memory settings (Emulator mode starts the
/// emulator with the host): for tests of the Graph wiring without the web service around it.
/// </summary>
internal static class GraphHost
{
    /// <param name="configure">More services, added after <c>AddGraph</c> (a clock, <c>AddStorage</c>, handlers).</param>
    /// <param name="contentRoot">The host's content root (where a relative SQLite path and the emulator's state go).</param>
    public static IHost Build(IEnumerable<KeyValuePair<string, string?>> settings, Action<HostApplicationBuilder>? configure = null, string? contentRoot = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = contentRoot });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddGraph(builder.Configuration);
        configure?.Invoke(builder);
        return builder.Build();
    }
}
