using Azure.Identity;
using ChangeNotifications.Graph.Emulator;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.Graph;

namespace ChangeNotifications.Graph;

public static class GraphServiceCollectionExtensions
{
    /// <summary>
    /// Section <c>Graph</c> (validated at start-up), the <see cref="EmulatorHost"/> (first hosted service: call this
    /// before registering hosted services that use Graph), <see cref="GraphEndpoints"/>, the
    /// <see cref="GraphServiceClient"/> singleton and the <see cref="IGraphClientProvider"/> that hands it out.
    /// </summary>
    public static IServiceCollection AddGraph(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<GraphOptions>().Bind(configuration.GetSection(GraphOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GraphOptions>, GraphOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddGraphEmulator(configuration);
        services.AddSingleton(CreateEndpoints);
        services.AddSingleton(CreateClient);
        services.AddGraphClientProvider();
        return services;
    }

    /// <summary>
    /// The app-only <see cref="IGraphClientProvider"/> over the <see cref="GraphServiceClient"/> in DI, unless one is
    /// registered already; also for hosts that register their own client instead of calling <see cref="AddGraph"/>.
    /// </summary>
    internal static IServiceCollection AddGraphClientProvider(this IServiceCollection services)
    {
        services.TryAddSingleton<IGraphClientProvider, AppOnlyGraphClientProvider>();
        return services;
    }

    private static GraphEndpoints CreateEndpoints(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<GraphOptions>>().Value;
        if (options.Mode == GraphMode.Live)
        {
            return new GraphEndpoints(
                options.BaseUrl ?? GraphOptions.LiveBaseUrl,
                options.AuthorityHost ?? AzureAuthorityHosts.AzurePublicCloud,
                options.TenantId!,
                options.ClientId!,
                static () => new SocketsHttpHandler());
        }

        return EmulatorServiceCollectionExtensions.CreateEndpoints(services);
    }

    private static GraphServiceClient CreateClient(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<GraphOptions>>().Value;
        if (options.Mode == GraphMode.Live)
        {
            return GraphClientBuilder.Create(options.BaseUrl ?? GraphOptions.LiveBaseUrl, GraphCredentialFactory.CreateLive(options));
        }

        return EmulatorServiceCollectionExtensions.CreateClient(services);
    }
}
