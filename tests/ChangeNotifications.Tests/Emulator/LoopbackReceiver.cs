using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ChangeNotifications.Tests.Emulator;

/// <summary>
/// A tiny subscriber endpoint on http://127.0.0.1:{dynamic}/ for emulator tests: answers validation requests per
/// <see cref="Handshake"/>, notification POSTs per <see cref="Answer"/>, and records what it got.
/// </summary>
internal sealed class LoopbackReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly SemaphoreSlim _received = new(0);
    private readonly SemaphoreSlim _attempted = new(0);

    private LoopbackReceiver(WebApplication app)
    {
        _app = app;
    }

    public enum HandshakeMode
    {
        Echo,
        WrongEcho,
        NotOk,
        Hang,
    }

    public HandshakeMode Handshake { get; set; } = HandshakeMode.Echo;

    /// <summary>Answers to notification POSTs; when null, 202.</summary>
    public Func<JsonObject, Task<int>>? Answer { get; set; }

    public Uri Url { get; private set; } = null!;

    public ConcurrentQueue<HandshakeRequest> Handshakes { get; } = new();

    public ConcurrentQueue<JsonObject> Notifications { get; } = new();

    /// <summary>Request paths of the notification POSTs, in order of arrival.</summary>
    public ConcurrentQueue<string> NotificationPaths { get; } = new();

    public int NotificationAttempts => _attempts;

    private int _attempts;

    public static async Task<LoopbackReceiver> StartAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        var receiver = new LoopbackReceiver(app);
        app.Run(receiver.HandleAsync);
        await app.StartAsync();
        receiver.Url = new Uri(app.Urls.Single() + "/api/notifications");
        return receiver;
    }

    public Uri UrlFor(string path) => new(Url, path);

    /// <summary>Waits (on real time, bounded) until <paramref name="count"/> notification POSTs were accepted.</summary>
    public async Task WaitForNotificationsAsync(int count, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        while (Notifications.Count < count)
        {
            await _received.WaitAsync(cts.Token);
        }
    }

    /// <summary>Waits (on real time, bounded) until <paramref name="count"/> notification POSTs arrived, whatever the answer.</summary>
    public async Task WaitForAttemptsAsync(int count, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        while (NotificationAttempts < count)
        {
            await _attempted.WaitAsync(cts.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _received.Dispose();
        _attempted.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var token = context.Request.Query["validationToken"];
        if (token.Count > 0)
        {
            Handshakes.Enqueue(new HandshakeRequest(context.Request.Path, context.Request.QueryString.Value ?? string.Empty, token.ToString(), context.Request.ContentType));
            switch (Handshake)
            {
                case HandshakeMode.Echo:
                    await Results.Text(token.ToString(), "text/plain").ExecuteAsync(context);
                    return;
                case HandshakeMode.WrongEcho:
                    await Results.Text(Uri.EscapeDataString(token.ToString()), "text/plain").ExecuteAsync(context);
                    return;
                case HandshakeMode.NotOk:
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    return;
                case HandshakeMode.Hang:
                    await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                    return;
            }
        }

        var body = (JsonObject)(await JsonNode.ParseAsync(context.Request.Body))!;
        NotificationPaths.Enqueue(context.Request.Path);
        Interlocked.Increment(ref _attempts);
        _attempted.Release();
        var status = Answer is null ? StatusCodes.Status202Accepted : await Answer(body);
        if (status is >= 200 and < 300)
        {
            Notifications.Enqueue(body);
            _received.Release();
        }

        context.Response.StatusCode = status;
    }

    public sealed record HandshakeRequest(string Path, string RawQuery, string Token, string? ContentType);
}
