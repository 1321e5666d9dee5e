using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;

namespace ChangeNotifications.Benchmarks.Driver;

/// <summary>A host environment rooted in the folder of the SQLite file the driver writes.</summary>
internal sealed class FixedEnvironment(string root) : IHostEnvironment
{
    public string EnvironmentName { get; set; } = "Benchmark";

    public string ApplicationName { get; set; } = "ChangeNotifications.Benchmarks.Driver";

    public string ContentRootPath { get; set; } = root;

    public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
}
