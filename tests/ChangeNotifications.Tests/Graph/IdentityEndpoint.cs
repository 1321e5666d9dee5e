using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;

namespace ChangeNotifications.Tests.Graph;

/// <summary>
/// A loopback stand-in for the managed identity endpoint App Service and Container Apps give a process (the URL in
/// IDENTITY_ENDPOINT, the secret header value in IDENTITY_HEADER): answers every token request with
/// <see cref="AccessToken"/> and records the request.
/// </summary>
internal sealed class IdentityEndpoint : IAsyncDisposable
{
    public const string AccessToken = "managed-identity-token";

    // The process-wide environment is swapped for the duration of one call; tests that do so take turns.
    private static readonly SemaphoreSlim EnvironmentTurn = new(1, 1);

    private readonly WebApplication _app;

    private IdentityEndpoint(WebApplication app)
    {
        _app = app;
    }

    public string Header { get; } = Guid.NewGuid().ToString("N");

    public ConcurrentQueue<TokenRequest> Requests { get; } = new();

    private Uri Url => new(_app.Urls.Single() + "/msi/token");

    public static async Task<IdentityEndpoint> StartAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        var endpoint = new IdentityEndpoint(app);
        app.Run(endpoint.AnswerAsync);
        await app.StartAsync();
        return endpoint;
    }

    /// <summary>Runs <paramref name="call"/> with IDENTITY_ENDPOINT and IDENTITY_HEADER pointing here, then restores them.</summary>
    public async Task<T> WithAppServiceEnvironmentAsync<T>(Func<Task<T>> call)
    {
        await EnvironmentTurn.WaitAsync();
        var endpoint = Environment.GetEnvironmentVariable("IDENTITY_ENDPOINT");
        var header = Environment.GetEnvironmentVariable("IDENTITY_HEADER");
        try
        {
            Environment.SetEnvironmentVariable("IDENTITY_ENDPOINT", Url.ToString());
            Environment.SetEnvironmentVariable("IDENTITY_HEADER", Header);
            return await call();
        }
        finally
        {
            Environment.SetEnvironmentVariable("IDENTITY_ENDPOINT", endpoint);
            Environment.SetEnvironmentVariable("IDENTITY_HEADER", header);
            EnvironmentTurn.Release();
        }
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private async Task AnswerAsync(HttpContext context)
    {
        Requests.Enqueue(new TokenRequest(context.Request.Query.ToDictionary(q => q.Key, q => q.Value), context.Request.Headers["X-IDENTITY-HEADER"].ToString()));
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, new Dictionary<string, string>
        {
            ["access_token"] = AccessToken,
            ["expires_on"] = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["resource"] = context.Request.Query["resource"].ToString(),
            ["token_type"] = "Bearer",
        });
    }

    internal sealed record TokenRequest(IReadOnlyDictionary<string, StringValues> Query, string Header);
}
