using ChangeNotifications.GraphEmulator.Hosting;
using Microsoft.Extensions.Hosting;

namespace ChangeNotifications.GraphEmulator.State;

/// <summary>
/// Saves the emulator's state every <see cref="GraphEmulatorOptions.StateSaveInterval"/> when it changed (the tenant
/// changes many times a second under load: one write per interval, not per change) and once more when the emulator stops.
/// </summary>
internal sealed class EmulatorStateSaver(EmulatorStateFile file, GraphEmulatorOptions options) : BackgroundService
{
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        file.TrySave();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.StateSaveInterval, options.TimeProvider, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (file.HasUnsavedChanges)
            {
                file.TrySave();
            }
        }
    }
}
