using ChangeNotifications.Benchmarks.Driver;

return args switch
{
    ["seed", .. var rest] => await SeedCommand.RunAsync(CommandLine.Parse(rest)),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        usage:
          Driver seed --db <service sqlite file> --lua <data file to write> [--subscriptions 8]
            Stores <subscriptions> subscriptions (resource /users, random clientStates) in the service's store and
            writes them, with the seeded tenant's ids, as a Lua table for wrk's notify.lua.
        """);
    return 2;
}
