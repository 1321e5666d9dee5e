namespace ChangeNotifications.Benchmarks.Driver;

/// <summary>Entry point of the benchmark driver (a named class: the tests reference this assembly and the service's Program).</summary>
internal static class DriverProgram
{
    public static async Task<int> Main(string[] args) => args switch
    {
        ["seed", .. var rest] => await SeedCommand.RunAsync(CommandLine.Parse(rest)),
        ["e2e", .. var rest] => await EndToEndCommand.RunAsync(CommandLine.Parse(rest)),
        ["drain", .. var rest] => await DrainCommand.RunAsync(CommandLine.Parse(rest)),
        ["inbox-micro", .. var rest] => await InboxMicro.InboxMicroCommand.RunAsync(CommandLine.Parse(rest)),
        ["intake-micro", .. var rest] => IntakeMicroCommand.Run(CommandLine.Parse(rest)),
        ["free-port"] => FreePort(),
        _ => Usage(),
    };

    /// <summary>Prints a loopback port that is free now (the e2e service must know its own address up front).</summary>
    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        Console.WriteLine(((System.Net.IPEndPoint)listener.LocalEndpoint).Port);
        return 0;
    }

    private static int Usage()
    {
        Console.Error.WriteLine("""
            usage:
              ChangeNotifications.Benchmarks.Driver seed --db <service sqlite file> --lua <data file to write> [--subscriptions 8]
                Stores <subscriptions> subscriptions (resource /users, random clientStates) in the service's store and
                writes them, with the seeded tenant's ids, as a Lua table for wrk's notify.lua.
              ChangeNotifications.Benchmarks.Driver seed --from-db <seeded sqlite file> --postgres <connection string>
                Copies the subscriptions seeded into the SQLite file to the PostgreSQL store (schema migrated first).
              ChangeNotifications.Benchmarks.Driver e2e --log <service stdout with compact JSON events> [--count 100] [--gap-ms 50]
                Asks the service's in-process emulator for <count> changes and prints the latency from each send to its
                handler's start (p50/p99/max).
              ChangeNotifications.Benchmarks.Driver drain --db <service sqlite file> [--timeout-s 120]
                Waits until the running service has no inbox item ready or claimed; prints the backlog it found and how
                fast it was handled.
              ChangeNotifications.Benchmarks.Driver inbox-micro [--rows 20000] [--callers 64] [--repeat 1]
                Appends <rows> inbox entries from <callers> concurrent callers (batches of 1 and of 100) through the old
                append path and the service's SqliteInbox, and prints rows/s and µs of process CPU per row.
              ChangeNotifications.Benchmarks.Driver intake-micro [--rounds 5]
                CPU µs and bytes allocated per notification item of intake's request-thread pieces, single-threaded, for
                batches of 1 and 100: the Graph SDK's parse (as before) and intake's reader, side by side. Build Release.
              ChangeNotifications.Benchmarks.Driver free-port
            """);
        return 2;
    }
}
