using System.Globalization;
using System.Runtime.InteropServices;
using ChangeNotifications.GraphEmulator.Hosting;
using Microsoft.Extensions.Logging;

namespace ChangeNotifications.GraphEmulator;

/// <summary>
/// <c>dotnet run --project src/ChangeNotifications.GraphEmulator [-- --port 5443] [--pace-seconds 5] [--state file.json]
/// [--slow-ratio 0.1] [--drop-ratio 0.15]</c>: the emulator on its own, printing its addresses and the credentials it
/// accepts, until Ctrl+C; with <c>--state</c> its subscriptions and tenant are kept in that file across runs. The ratios
/// are Graph's slow / drop thresholds per endpoint; a load test on a busy machine may raise them (above 1: never), so
/// that a few slow answers at a cold start do not stop deliveries for ten minutes.
/// </summary>
public static class EmulatorProgram
{
    public static async Task Main(string[] args)
    {
        using var loggerFactory = LoggerFactory.Create(logging => logging.AddSimpleConsole(console => console.SingleLine = true));
        var options = new GraphEmulatorOptions
        {
            Port = ReadNumber(args, "--port") is { } port ? (int)port : 5443,
            ChangePace = ReadNumber(args, "--pace-seconds") is { } pace ? TimeSpan.FromSeconds(pace) : null,
            AllowHttpLoopbackNotificationUrls = true,
            LoggerFactory = loggerFactory,
            Tenant = new Tenant.EmulatedTenant(),
            StatePath = ReadText(args, "--state"),
            Throttling = new EndpointThrottlingOptions
            {
                SlowRatio = ReadNumber(args, "--slow-ratio") ?? new EndpointThrottlingOptions().SlowRatio,
                DropRatio = ReadNumber(args, "--drop-ratio") ?? new EndpointThrottlingOptions().DropRatio,
            },
        };

        using var stop = new CancellationTokenSource();
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }

        try
        {
            await RunUntilStoppedAsync(options, stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private static async Task RunUntilStoppedAsync(GraphEmulatorOptions options, CancellationToken stop)
    {
        await using var server = await GraphEmulatorServer.StartAsync(options, stop);
        Console.WriteLine($"Graph emulator: {server.GraphBaseUrl}");
        Console.WriteLine($"Authority host: {server.AuthorityHost}  tenant {server.TenantId}  client {server.ClientId}");
        foreach (var client in server.Options.ApiClients)
        {
            Console.WriteLine($"API client {client.ClientId} (secret {client.ClientSecret}): roles {string.Join(", ", client.Roles)}, scope api://{server.ClientId}/.default");
        }

        Console.WriteLine($"TLS certificate (self-signed) SHA-256: {server.Certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256)}");
        Console.WriteLine($"Control API: {server.BaseAddress}_emulator/  (Ctrl+C stops)");
        await Task.Delay(Timeout.Infinite, stop);
    }

    private static double? ReadNumber(string[] args, string name) =>
        double.TryParse(ReadText(args, name), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static string? ReadText(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
