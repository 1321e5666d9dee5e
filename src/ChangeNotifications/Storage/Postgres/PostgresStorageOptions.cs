using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Storage.Postgres;

/// <summary>What the PostgreSQL store needs: the connection string <c>ConnectionStrings:ChangeNotifications</c>.</summary>
internal sealed class PostgresStorageOptions
{
    /// <summary>The configuration key of the connection string, as an operator sets it.</summary>
    public const string ConnectionStringKey = "ConnectionStrings:ChangeNotifications";

    /// <summary>The name under <c>ConnectionStrings</c>.</summary>
    public const string ConnectionStringName = "ChangeNotifications";

    [Required(AllowEmptyStrings = false, ErrorMessage = $"{ConnectionStringKey} must be set when {StorageOptions.Section}:Provider is Postgres.")]
    public string? ConnectionString { get; set; }
}

/// <summary>The bounds of <see cref="PostgresStorageOptions"/>, from its DataAnnotations attributes.</summary>
[OptionsValidator]
internal sealed partial class PostgresStorageOptionsValidator : IValidateOptions<PostgresStorageOptions>;
