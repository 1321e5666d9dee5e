using System.Globalization;

namespace ChangeNotifications.Receiving;

/// <summary>
/// Where the service listens. ASP.NET Core's own settings decide first (<c>Kestrel:Endpoints</c>, then <c>urls</c>:
/// <c>--urls</c>, <c>Urls</c>, <c>ASPNETCORE_URLS</c>); then <c>PORT</c>, the port a container host routes to (all
/// interfaces); then <c>ASPNETCORE_HTTP_PORTS</c> / <c>ASPNETCORE_HTTPS_PORTS</c> (all interfaces: the .NET container
/// images set 8080). Only when none of them is set does the local run's <see cref="LocalDefault"/> apply, so a
/// deployment is never pinned to loopback and the one-command run needs no setting.
/// </summary>
internal static partial class ListenAddresses
{
    /// <summary>The local run's address when nothing else sets one.</summary>
    public const string LocalDefault = "http://127.0.0.1:5080";

    public const string PortSetting = "PORT";

    private const int ChosenEvent = 7350;

    /// <summary>Applies <see cref="Choose"/> to the builder: sets <c>urls</c> when <c>PORT</c> or the default decides.</summary>
    public static ListenAddressChoice UseListenAddresses(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var choice = Choose(builder.Configuration);
        if (choice.UrlsToSet is not null)
        {
            builder.WebHost.UseUrls(choice.UrlsToSet);
        }

        return choice;
    }

    /// <summary>Which setting decides where the service listens, and the <c>urls</c> to set when it is not ASP.NET Core's own.</summary>
    public static ListenAddressChoice Choose(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (configuration.GetSection("Kestrel:Endpoints").GetChildren().Any())
        {
            return new ListenAddressChoice("Kestrel:Endpoints", null);
        }

        if (configuration[WebHostDefaults.ServerUrlsKey] is { Length: > 0 } urls)
        {
            return new ListenAddressChoice($"Urls ({urls})", null);
        }

        if (configuration[PortSetting] is { Length: > 0 } port)
        {
            if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535)
            {
                throw new InvalidOperationException($"{PortSetting} '{port}' is not a port number (1-65535).");
            }

            return new ListenAddressChoice($"{PortSetting} ({number})", $"http://+:{number}");
        }

        foreach (var key in new[] { WebHostDefaults.HttpPortsKey, WebHostDefaults.HttpsPortsKey })
        {
            if (configuration[key] is { Length: > 0 } ports)
            {
                return new ListenAddressChoice($"ASPNETCORE_{key.ToUpperInvariant()} ({ports})", null);
            }
        }

        return new ListenAddressChoice("the local run's default (none of Urls, ASPNETCORE_URLS, PORT, ASPNETCORE_HTTP_PORTS is set)", LocalDefault);
    }

    /// <summary>One line at start naming the setting that decided the address (Kestrel logs the address itself).</summary>
    public static void LogChoice(this WebApplication app, ListenAddressChoice choice)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(choice);
        LogChosen(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ListenAddresses).FullName!), choice.Source);
    }

    [LoggerMessage(EventId = ChosenEvent, Level = LogLevel.Information, Message = "Listening address set by {ListenSource}")]
    private static partial void LogChosen(ILogger logger, string listenSource);
}

/// <param name="Source">The setting that decides, with its value.</param>
/// <param name="UrlsToSet">The <c>urls</c> this service sets; null when ASP.NET Core's own setting decides.</param>
internal sealed record ListenAddressChoice(string Source, string? UrlsToSet);
