using ChangeNotifications.Dispatching;
using ChangeNotifications.Graph;
using ChangeNotifications.GraphEmulator.Tenant;
using ChangeNotifications.Subscriptions;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Serialization.Json;

namespace ChangeNotifications.Security;

internal static class RichNotificationsServiceCollectionExtensions
{
    /// <summary>
    /// Rich notifications: decryption certificates (section <c>RichNotifications</c>, loaded and checked at start),
    /// the certificate source the subscription manager sends to Graph, validation-token checks and decryption at
    /// dispatch. Expects <c>AddStorage</c> (the emulator certificate is kept in its data folder). In Emulator mode,
    /// the emulator's OpenID metadata and pinned certificate come from <see cref="GraphEndpoints"/> (<c>AddGraph</c>).
    /// </summary>
    public static IServiceCollection AddRichNotifications(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ApiClientBuilder.RegisterDefaultDeserializer<JsonParseNodeFactory>();

        services.AddGraphOptions(configuration);
        services.AddOptions<RichNotificationsOptions>()
            .Bind(configuration.GetSection(RichNotificationsOptions.Section))
            .Configure<IOptions<GraphOptions>>((options, graph) =>
            {
                options.EmulatorMode = graph.Value.Mode == GraphMode.Emulator;
                options.TenantIds = AllowedTenants(graph.Value);
                options.AppIds.RemoveAll(string.IsNullOrWhiteSpace);
                if (options.AppIds.Count == 0)
                {
                    var appId = new[] { graph.Value.ClientId, configuration["AzureAd:ClientId"], options.EmulatorMode ? SeedIds.ClientId : null }
                        .FirstOrDefault(id => !string.IsNullOrWhiteSpace(id));
                    if (appId is not null)
                    {
                        options.AppIds.Add(appId);
                    }
                }
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RichNotificationsOptions>, RichNotificationsOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        // Emulator mode: the emulator's self-signed certificate is pinned (GraphEndpoints, when AddGraph registered it).
        services.AddHttpClient(ValidationTokenValidator.MetadataClientName)
            .ConfigurePrimaryHttpMessageHandler(sp =>
                sp.GetRequiredService<IOptions<RichNotificationsOptions>>().Value.EmulatorMode && sp.GetService<GraphEndpoints>() is { } endpoints
                    ? endpoints.CreateHandler()
                    : new SocketsHttpHandler());

        services.AddSingleton<EncryptionCertificateLoader>();
        services.AddSingleton<EncryptionCertificates>();
        services.AddSingleton<ISubscriptionEncryptionCertificateSource>(sp => sp.GetRequiredService<EncryptionCertificates>());
        services.AddHostedService<EncryptionCertificatesStartup>();

        services.AddSingleton(sp => new ValidationTokenValidator(
            sp.GetRequiredService<IOptions<RichNotificationsOptions>>(),
            sp.GetRequiredService<IHttpClientFactory>(),
            () => sp.GetService<GraphEndpoints>()));
        services.AddSingleton<BatchTokenVerdicts>();
        services.AddSingleton<ResourceDataDecryptor>();
        services.AddSingleton<RichNotificationProcessor>();
        services.AddSingleton<IRichNotificationProcessor>(sp => sp.GetRequiredService<RichNotificationProcessor>());
        return services;
    }

    /// <summary><c>Graph:AllowedTenantIds</c> if any, else <c>Graph:TenantId</c> (the emulator's when unset in Emulator
    /// mode); a value that is not a GUID is left out (the Graph options' validator names it).</summary>
    private static HashSet<Guid> AllowedTenants(GraphOptions graph)
    {
        var single = graph.Mode == GraphMode.Emulator && string.IsNullOrWhiteSpace(graph.TenantId) ? SeedIds.TenantId : graph.TenantId;
        IEnumerable<string?> configured = graph.AllowedTenantIds.Count > 0 ? graph.AllowedTenantIds : new[] { single };
        var tenants = new HashSet<Guid>();
        foreach (var tenant in configured)
        {
            if (Guid.TryParse(tenant, out var id))
            {
                tenants.Add(id);
            }
        }

        return tenants;
    }
}
