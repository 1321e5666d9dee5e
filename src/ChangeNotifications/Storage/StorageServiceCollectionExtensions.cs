using ChangeNotifications.Storage.Sqlite;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Storage;

public static class StorageServiceCollectionExtensions
{
    public static IServiceCollection AddStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StorageOptions>()
            .Bind(configuration.GetSection(StorageOptions.Section))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>();
        services.AddSingleton<SqliteDatabase>();
        services.AddSingleton<SqliteStartupCheck>();
        services.AddHostedService(sp => sp.GetRequiredService<SqliteStartupCheck>());
        return services;
    }
}

internal sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        var errors = new List<string>();
        if (!Enum.IsDefined(options.Provider))
        {
            errors.Add($"{StorageOptions.Section}:Provider must be Sqlite (got '{options.Provider}').");
        }

        if (string.IsNullOrWhiteSpace(options.SqlitePath))
        {
            errors.Add($"{StorageOptions.Section}:SqlitePath must name a file.");
        }

        if (!Enum.IsDefined(options.Durability))
        {
            errors.Add($"{StorageOptions.Section}:Durability must be Full or Normal (got '{options.Durability}').");
        }

        if (options.BusyTimeout <= TimeSpan.Zero || options.BusyTimeout > TimeSpan.FromMinutes(1))
        {
            errors.Add($"{StorageOptions.Section}:BusyTimeout must be between 00:00:00.001 and 00:01:00 (got {options.BusyTimeout}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
