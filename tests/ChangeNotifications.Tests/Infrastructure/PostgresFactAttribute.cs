namespace ChangeNotifications.Tests.Infrastructure;

/// <summary>
/// A test that needs PostgreSQL's binaries (Debian package <c>postgresql-15</c>, or <c>CN_TEST_POSTGRES_BIN</c>) to start
/// <see cref="PostgresServer"/>. Skipped, with the reason, where they are absent; under CI (<c>CI=true</c>, where
/// <c>.ci/run</c> installs them) it runs and fails instead, so a missing PostgreSQL never passes silently.
/// </summary>
internal sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute() => Skip = PostgresAvailability.SkipReason;
}

/// <summary>The theory form of <see cref="PostgresFactAttribute"/>.</summary>
internal sealed class PostgresTheoryAttribute : TheoryAttribute
{
    public PostgresTheoryAttribute() => Skip = PostgresAvailability.SkipReason;
}

internal static class PostgresAvailability
{
    /// <summary>Why a PostgreSQL test is skipped here; null when it runs (binaries found, or under CI).</summary>
    public static string? SkipReason =>
        PostgresServer.BinFolder is null && !IsCi
            ? "PostgreSQL binaries required (apt-get install postgresql-15, or set CN_TEST_POSTGRES_BIN); CI installs them and runs this test."
            : null;

    private static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
}
