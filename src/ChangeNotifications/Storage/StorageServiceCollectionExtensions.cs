using ChangeNotifications.Inbox;
using ChangeNotifications.Storage.Postgres;
using ChangeNotifications.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Storage;

internal static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// The store that <c>Storage:Provider</c> names (<c>Sqlite</c>, the default, or <c>Postgres</c>): the inbox,
    /// the subscription store, the delta-link store, the data folder and the check that the store opens at start-up.
    /// Features register only what works on these contracts, so the order of the <c>Add…</c> calls does not matter.
    /// </summary>
    public static IServiceCollection AddStorage(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(StorageOptions.Section);
        services.AddOptions<StorageOptions>()
            .Bind(section)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<InboxMetrics>();

        switch (ProviderOf(section))
        {
            case StorageProvider.Sqlite:
                services.AddSqliteStorage();
                break;
            case StorageProvider.Postgres:
                services.AddPostgresStorage(configuration).AddPostgresLeaderLease(configuration);
                break;
        }

        return services;
    }

    /// <summary>The configured provider; an unknown one stops start-up here, before anything is registered for it.</summary>
    private static StorageProvider ProviderOf(IConfigurationSection section)
    {
        var value = section[nameof(StorageOptions.Provider)];
        if (string.IsNullOrWhiteSpace(value))
        {
            return new StorageOptions().Provider;
        }

        if (Enum.TryParse<StorageProvider>(value, ignoreCase: true, out var provider) && Enum.IsDefined(provider))
        {
            return provider;
        }

        throw new OptionsValidationException(
            StorageOptions.Section,
            typeof(StorageOptions),
            [$"{StorageOptions.Section}:Provider must be {string.Join(" or ", Enum.GetNames<StorageProvider>())} (got '{value}')."]);
    }
}

/// <summary>
/// <see cref="StorageOptions"/>' bounds (<see cref="StorageOptionsBoundsValidator"/>) and that its enums hold a named
/// value, which DataAnnotations do not check.
/// </summary>
internal sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    private readonly StorageOptionsBoundsValidator _bounds = new();

    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        var errors = new ValidateOptionsResultBuilder();
        errors.AddResult(_bounds.Validate(name, options));
        if (!Enum.IsDefined(options.Provider))
        {
            errors.AddError($"{StorageOptions.Section}:Provider must be {string.Join(" or ", Enum.GetNames<StorageProvider>())} (got '{options.Provider}').");
        }

        if (!Enum.IsDefined(options.Durability))
        {
            errors.AddError($"{StorageOptions.Section}:Durability must be Full or Normal (got '{options.Durability}').");
        }

        return errors.Build();
    }
}
