using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;

namespace ChangeNotifications.Tests.Infrastructure;

/// <summary>A host environment rooted in a test folder.</summary>
internal sealed class TestEnvironment(string root) : IHostEnvironment
{
    public string EnvironmentName { get; set; } = "Test";

    public string ApplicationName { get; set; } = "ChangeNotifications.Tests";

    public string ContentRootPath { get; set; } = root;

    public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
}
