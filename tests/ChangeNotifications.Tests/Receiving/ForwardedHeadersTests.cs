using System.Net;
using ChangeNotifications.Logging;
using ChangeNotifications.Receiving;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace ChangeNotifications.Tests.Receiving;

/// <summary>
/// Behind App Service's front end or Container Apps' ingress the service sees its public scheme and host from the
/// proxy's X-Forwarded-* headers, when enabled and only from a known proxy or network.
/// </summary>
public sealed class ForwardedHeadersTests
{
    [Theory]
    [InlineData(true, "10.1.2.3", "https", "webhooks.contoso.example")]
    [InlineData(true, "192.168.7.7", "http", "localhost")]
    [InlineData(false, "10.1.2.3", "http", "localhost")]
    public async Task The_scheme_and_host_the_service_sees_come_from_a_known_proxy_when_enabled(bool enabled, string proxy, string scheme, string host)
    {
        using var service = new ServiceFactory()
            .WithSetting("ForwardedHeaders:Enabled", enabled ? "true" : "false")
            .WithSetting("ForwardedHeaders:KnownNetworks:0", "10.0.0.0/8")
            .WithServices(s => s.AddSingleton<IStartupFilter>(new ConnectionFrom(IPAddress.Parse(proxy))));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/no-such-route");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "webhooks.contoso.example");
        request.Headers.Add("X-Forwarded-For", "203.0.113.9");

        var response = await service.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var line = Assert.Single(service.Logs.GetSnapshot(), r => r.Category == LoggingSetup.RequestLogCategory);
        Assert.Equal(scheme, line.GetStructuredStateValue("RequestScheme"));
        Assert.Equal(host, line.GetStructuredStateValue("RequestHost"));
    }

    [Fact]
    public void A_network_or_proxy_that_does_not_parse_is_refused_naming_the_setting()
    {
        var result = new ForwardedHeadersAddressValidator().Validate(null, new ForwardedHeadersSettings
        {
            KnownProxies = ["10.0.0.1", "proxy.contoso"],
            KnownNetworks = ["10.0.0.0/33"],
        });

        Assert.True(result.Failed);
        Assert.Contains("ForwardedHeaders:KnownProxies has 'proxy.contoso'", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("ForwardedHeaders:KnownNetworks has '10.0.0.0/33'", result.FailureMessage, StringComparison.Ordinal);
    }

    /// <summary>The test server's connections come from <paramref name="address"/>, as a proxy's would.</summary>
    private sealed class ConnectionFrom(IPAddress address) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                context.Connection.RemoteIpAddress = address;
                return nextMiddleware(context);
            });
            next(app);
        };
    }
}
