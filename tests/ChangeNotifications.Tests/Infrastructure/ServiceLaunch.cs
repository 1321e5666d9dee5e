namespace ChangeNotifications.Tests.Infrastructure;

/// <summary>How <see cref="ServiceProcess"/> starts the service, and with what configuration on top of its own.</summary>
internal enum ServiceLaunch
{
    /// <summary>
    /// The README's run command, <c>dotnet run --project src/ChangeNotifications</c> (with <c>--no-build</c>: the test
    /// build already built it), configured as shipped (it creates its subscriptions in the emulator); the configured
    /// console sink writes compact JSON. The service is a child of <c>dotnet run</c>, so it needs a fixed port to derive
    /// its notification URL from: a free one is chosen when none is given.
    /// </summary>
    DotnetRun,

    /// <summary>
    /// <c>dotnet ChangeNotifications.dll</c> from its build output, in Production, receiver-only: serves the
    /// subscriptions the test seeded and creates none. A second, synchronous console sink writes compact JSON, so every
    /// event is on stdout before its call returns (the configured sink is asynchronous and may lose its buffer to a
    /// SIGKILL). Port 0 (Kestrel picks) when none is given.
    /// </summary>
    ReceiverDll,
}
