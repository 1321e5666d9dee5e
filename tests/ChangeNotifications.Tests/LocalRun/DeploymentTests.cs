using System.Net;
using ChangeNotifications.Receiving;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace ChangeNotifications.Tests.LocalRun;

/// <summary>
/// Deployed as documented: the settings containers and hosts set (<c>ASPNETCORE_URLS</c>, <c>PORT</c>,
/// <c>ASPNETCORE_HTTP_PORTS</c>) decide where the service listens; an SQLite file that cannot be opened stops it with one
/// message naming the path.
/// </summary>
[Collection(ProcessTestsCollection.Name)]
public sealed class DeploymentTests
{
    private const string Token = "Validation: Testing client application reachability";

    [Fact]
    public async Task Start_up_with_ASPNETCORE_URLS_set_listens_there()
    {
        var port = ServiceProcess.FreePort();

        await using var service = await ServiceProcess.StartAsync(
            ServiceLaunch.ReceiverDll, settings: new Dictionary<string, string> { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}" });

        Assert.Equal(new Uri($"http://127.0.0.1:{port}"), service.BaseAddress);
        await AssertHandshakeAsync(port);
        Assert.StartsWith("Urls", ListenSource(service), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("PORT")]
    [InlineData("ASPNETCORE_HTTP_PORTS")]
    public async Task A_port_set_by_the_host_or_the_container_image_is_listened_on_all_interfaces(string setting)
    {
        var port = ServiceProcess.FreePort();

        await using var service = await ServiceProcess.StartAsync(
            ServiceLaunch.ReceiverDll, settings: new Dictionary<string, string> { [setting] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) });

        Assert.Equal(port, service.BaseAddress.Port);
        Assert.False(IPAddress.IsLoopback(IPAddress.Parse(service.BaseAddress.Host.Trim('[', ']'))), $"listens on {service.BaseAddress}");
        await AssertHandshakeAsync(port);
        Assert.StartsWith(setting, ListenSource(service), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_SQLite_path_that_cannot_be_opened_stops_start_up_with_one_message_naming_it()
    {
        var directory = Directory.CreateTempSubdirectory("cn-sqlite-dir-").FullName;
        try
        {
            var error = await Assert.ThrowsAsync<ServiceExitedException>(() => ServiceProcess.StartAsync(ServiceLaunch.ReceiverDll, databasePath: directory));

            Assert.Equal(1, error.ExitCode);
            var line = Assert.Single(error.Lines, l => l.Contains("\"EventId\":{\"Id\":7351", StringComparison.Ordinal) && l.Contains("\"@l\":\"Fatal\"", StringComparison.Ordinal));
            Assert.Contains($"\"SqlitePath\":\"{directory}\"", line, StringComparison.Ordinal);
            Assert.Contains("Storage:SqlitePath", line, StringComparison.Ordinal);
            // No stack trace, no exception anywhere in the output: the one line is the whole story.
            Assert.DoesNotContain(error.Lines, l => l.Contains("\"@x\"", StringComparison.Ordinal) || l.TrimStart().StartsWith("at ", StringComparison.Ordinal)
                || l.Contains("Exception", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData(null, null, null, null, "the local run's default", ListenAddresses.LocalDefault)]
    [InlineData("http://0.0.0.0:7000", "8000", "8080", null, "Urls (http://0.0.0.0:7000)", null)]
    [InlineData(null, "8000", "8080", null, "PORT (8000)", "http://+:8000")]
    [InlineData(null, null, "8080", null, "ASPNETCORE_HTTP_PORTS (8080)", null)]
    [InlineData(null, null, null, "8443", "ASPNETCORE_HTTPS_PORTS (8443)", null)]
    public void Urls_then_PORT_then_the_ports_then_the_local_default_decide(
        string? urls, string? port, string? httpPorts, string? httpsPorts, string source, string? urlsToSet)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["urls"] = urls, ["PORT"] = port, ["http_ports"] = httpPorts, ["https_ports"] = httpsPorts,
        }).Build();

        var choice = ListenAddresses.Choose(configuration);

        Assert.StartsWith(source, choice.Source, StringComparison.Ordinal);
        Assert.Equal(urlsToSet, choice.UrlsToSet);
    }

    [Fact]
    public void Kestrel_endpoints_decide_alone_and_a_bad_PORT_stops_start_up()
    {
        var kestrel = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:Http:Url"] = "http://0.0.0.0:9000", ["PORT"] = "8000",
        }).Build();
        var badPort = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["PORT"] = "80a" }).Build();

        Assert.Null(ListenAddresses.Choose(kestrel).UrlsToSet);
        Assert.Equal("PORT '80a' is not a port number (1-65535).", Assert.Throws<InvalidOperationException>(() => ListenAddresses.Choose(badPort)).Message);
    }

    private static async Task AssertHandshakeAsync(int port)
    {
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var response = await client.PostAsync($"/api/notifications?validationToken={Uri.EscapeDataString(Token)}", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Token, await response.Content.ReadAsStringAsync());
    }

    private static string ListenSource(ServiceProcess service) =>
        ServiceProcess.Property(Assert.Single(service.EventsWithId(7350)), "ListenSource") ?? string.Empty;
}
