using Azure.Identity;
using ChangeNotifications.Graph.Emulator;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.Graph;

namespace ChangeNotifications.Graph;

internal static class GraphServiceCollectionExtensions
{
    /// <summary>
    /// Section <c>Graph</c> (validated at start-up), the <see cref="EmulatorHost"/> (it starts the emulator before any
    /// hosted service, wherever it is registered), <see cref="GraphEndpoints"/>, the
    /// <see cref="GraphServiceClient"/> singleton and the <see cref="IGraphClientProvider"/> that hands it out.
    /// </summary>
    public static IServiceCollection AddGraph(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddGraphOptions(configuration).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GraphOptions>, GraphOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddGraphEmulator(configuration);
        services.AddMetrics();
        services.TryAddSingleton<GraphCallMetrics>();
        services.AddSingleton(CreateEndpoints);
        services.AddSingleton(CreateClient);
        services.AddGraphClientProvider();
        return services;
    }

    /// <summary>
    /// Section <c>Graph</c> bound to <see cref="GraphOptions"/>, once however many features ask for it (the binding is
    /// added with TryAddEnumerable, so a second call adds nothing); validation is <see cref="AddGraph"/>'s.
    /// </summary>
    internal static OptionsBuilder<GraphOptions> AddGraphOptions(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(GraphOptions.Section);
        services.AddOptions();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<GraphOptions>>(
            new NamedConfigureFromConfigurationOptions<GraphOptions>(Options.DefaultName, section)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IOptionsChangeTokenSource<GraphOptions>>(
            new ConfigurationChangeTokenSource<GraphOptions>(Options.DefaultName, section)));
        return new OptionsBuilder<GraphOptions>(services, Options.DefaultName);
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
                options.ClientId,
                static () => new SocketsHttpHandler());
        }

        return EmulatorServiceCollectionExtensions.CreateEndpoints(services);
    }

    private static GraphServiceClient CreateClient(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<GraphOptions>>().Value;
        if (options.Mode == GraphMode.Live)
        {
            return GraphClientBuilder.Create(
                options.BaseUrl ?? GraphOptions.LiveBaseUrl,
                GraphCredentialFactory.CreateLive(options),
                metrics: services.GetService<GraphCallMetrics>());
        }

        return EmulatorServiceCollectionExtensions.CreateClient(services);
    }
}
