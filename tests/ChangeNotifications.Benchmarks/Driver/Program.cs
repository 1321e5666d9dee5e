namespace ChangeNotifications.Benchmarks.Driver;

/// <summary>Entry point of the benchmark driver (a named class: the tests reference this assembly and the service's Program).</summary>
internal static class DriverProgram
{
    public static async Task<int> Main(string[] args) => args switch
    {
        ["seed", .. var rest] => await SeedCommand.RunAsync(CommandLine.Parse(rest)),
        _ => Usage(),
    };

    private static int Usage()
    {
        Console.Error.WriteLine("""
            usage:
              ChangeNotifications.Benchmarks.Driver seed --db <service sqlite file> --lua <data file to write> [--subscriptions 8]
                Stores <subscriptions> subscriptions (resource /users, random clientStates) in the service's store and
                writes them, with the seeded tenant's ids, as a Lua table for wrk's notify.lua.
            """);
        return 2;
    }
}
