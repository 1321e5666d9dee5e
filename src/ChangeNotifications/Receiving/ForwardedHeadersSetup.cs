using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Receiving;

/// <summary>
/// Settings of section <c>ForwardedHeaders</c>: behind a proxy that ends TLS (App Service's front end, Container Apps'
/// ingress, a load balancer), the scheme, host and client address the proxy received are taken from its
/// <c>X-Forwarded-*</c> headers, so the service sees its public <c>https://host</c>. Off unless enabled; headers from
/// a sender that is not a known proxy or in a known network (loopback alone when none is listed) are ignored.
/// </summary>
internal sealed class ForwardedHeadersSettings
{
    public const string Section = "ForwardedHeaders";

    public bool Enabled { get; set; }

    /// <summary>Which headers are read (ASP.NET Core's names, comma-separated).</summary>
    public ForwardedHeaders Headers { get; set; } = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;

    /// <summary>Addresses of the proxies whose headers are believed.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks (CIDR, e.g. <c>10.0.0.0/8</c>) whose senders' headers are believed.</summary>
    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>Host names the forwarded host may take (empty: any); <c>*.example.net</c> allows subdomains.</summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>How many proxies in a row are unwound.</summary>
    [SettingRange(1, 10, ErrorMessage = $"{Section}:ForwardLimit must be between 1 and 10.")]
    public int ForwardLimit { get; set; } = 1;
}

/// <summary>The bounds of <see cref="ForwardedHeadersSettings"/>, from its DataAnnotations attributes.</summary>
[OptionsValidator]
internal sealed partial class ForwardedHeadersBoundsValidator : IValidateOptions<ForwardedHeadersSettings>;

/// <summary>A proxy address or network that does not parse stops start-up, naming the setting.</summary>
internal sealed class ForwardedHeadersAddressValidator : IValidateOptions<ForwardedHeadersSettings>
{
    public ValidateOptionsResult Validate(string? name, ForwardedHeadersSettings options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = options.KnownProxies.Where(p => !IPAddress.TryParse(p, out _))
            .Select(p => $"{ForwardedHeadersSettings.Section}:KnownProxies has '{p}', which is not an IP address.")
            .Concat(options.KnownNetworks.Where(n => !System.Net.IPNetwork.TryParse(n, out _))
                .Select(n => $"{ForwardedHeadersSettings.Section}:KnownNetworks has '{n}', which is not a network in CIDR form (e.g. 10.0.0.0/8)."))
            .ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

internal static class ForwardedHeadersSetup
{
    public static IServiceCollection AddForwardedHeaders(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ForwardedHeadersSettings>().Bind(configuration.GetSection(ForwardedHeadersSettings.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ForwardedHeadersSettings>, ForwardedHeadersBoundsValidator>();
        services.AddSingleton<IValidateOptions<ForwardedHeadersSettings>, ForwardedHeadersAddressValidator>();
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ForwardedHeadersSettings>>((options, settings) =>
        {
            var s = settings.Value;
            options.ForwardedHeaders = s.Headers;
            options.ForwardLimit = s.ForwardLimit;
            foreach (var proxy in s.KnownProxies)
            {
                options.KnownProxies.Add(IPAddress.Parse(proxy));
            }

            foreach (var network in s.KnownNetworks)
            {
                options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }

            foreach (var host in s.AllowedHosts)
            {
                options.AllowedHosts.Add(host);
            }
        });
        return services;
    }

    /// <summary>The forwarded-headers middleware, first in the pipeline, when enabled; nothing otherwise (no cost per request).</summary>
    public static IApplicationBuilder UseConfiguredForwardedHeaders(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.ApplicationServices.GetRequiredService<IOptions<ForwardedHeadersSettings>>().Value.Enabled
            ? app.UseForwardedHeaders()
            : app;
    }
}
