using ChangeNotifications.Dispatching;
using ChangeNotifications.GraphEmulator.Tenant;
using ChangeNotifications.Subscriptions;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Serialization.Json;

namespace ChangeNotifications.Security;

public static class RichNotificationsServiceCollectionExtensions
{
    /// <summary>
    /// Rich notifications: decryption certificates (section <c>RichNotifications</c>, loaded and checked at start),
    /// the certificate source the subscription manager sends to Graph, validation-token checks and decryption at
    /// dispatch. Expects <c>AddStorage</c> (the emulator certificate is kept next to the SQLite file).
    /// </summary>
    public static IServiceCollection AddRichNotifications(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ApiClientBuilder.RegisterDefaultDeserializer<JsonParseNodeFactory>();

        var emulator = GraphMode.IsEmulator(configuration);
        services.AddOptions<RichNotificationsOptions>()
            .Bind(configuration.GetSection(RichNotificationsOptions.Section))
            .Configure(options =>
            {
                options.EmulatorMode = emulator;
                options.AppIds.RemoveAll(string.IsNullOrWhiteSpace);
                if (options.AppIds.Count == 0)
                {
                    var appId = configuration["AzureAd:ClientId"] ?? (emulator ? SeedIds.ClientId : null);
                    if (!string.IsNullOrWhiteSpace(appId))
                    {
                        options.AppIds.Add(appId);
                    }
                }
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RichNotificationsOptions>, RichNotificationsOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpClient(ValidationTokenValidator.MetadataClientName);

        services.AddSingleton<EncryptionCertificateLoader>();
        services.AddSingleton<EncryptionCertificates>();
        services.AddSingleton<ISubscriptionEncryptionCertificateSource>(sp => sp.GetRequiredService<EncryptionCertificates>());
        services.AddHostedService<EncryptionCertificatesStartup>();

        services.AddSingleton<ValidationTokenValidator>();
        services.AddSingleton<BatchTokenVerdicts>();
        services.AddSingleton<ResourceDataDecryptor>();
        services.AddSingleton<RichNotificationProcessor>();
        services.AddSingleton<IRichNotificationProcessor>(sp => sp.GetRequiredService<RichNotificationProcessor>());
        return services;
    }
}

/// <summary><c>Graph:Mode</c>: <c>Emulator</c> (the default, as on a fresh clone) or <c>Live</c>.</summary>
public static class GraphMode
{
    public const string Setting = "Graph:Mode";

    public static bool IsEmulator(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var mode = configuration[Setting];
        return string.IsNullOrWhiteSpace(mode) || string.Equals(mode.Trim(), "Emulator", StringComparison.OrdinalIgnoreCase);
    }
}
