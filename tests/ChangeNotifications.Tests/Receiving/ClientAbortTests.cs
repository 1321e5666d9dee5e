using System.Net;
using System.Net.Sockets;
using System.Text;
using ChangeNotifications.Inbox;
using ChangeNotifications.Receiving;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Moq;

namespace ChangeNotifications.Tests.Receiving;

/// <summary>
/// A client that goes away mid-request (Graph gave up, a scanner hung up) is no fault of the service: no Warning, no
/// Error, no unhandled-exception 500; a store failure that is not the client's doing still is one.
/// </summary>
public sealed class ClientAbortTests
{
    private const string Resource = "/me/messages";
    private const int BodyAbortedEvent = 1014;
    private const int StoreAbortedEvent = 1015;
    private const int StoreFailedEvent = 1013;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Client_closing_or_resetting_the_connection_mid_body_is_logged_at_debug_only(bool reset)
    {
        using var service = new ServiceFactory().WithSetting("Urls", "http://127.0.0.1:0");
        service.UseKestrel();
        service.StartServer();
        var subscription = service.Subscriptions.Add(Resource);
        var body = Encoding.UTF8.GetBytes(Payloads.Batch(Payloads.Item(subscription)));
        var head = Encoding.ASCII.GetBytes(
            $"POST /api/notifications HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nExpect: 100-continue\r\n\r\n");

        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port(service)));
        await socket.SendAsync(head);
        var interim = new byte[256];
        var read = await socket.ReceiveAsync(interim);

        // Kestrel answers 100 Continue when intake starts reading the body: it is reading when the client goes away.
        Assert.StartsWith("HTTP/1.1 100", Encoding.ASCII.GetString(interim, 0, read), StringComparison.Ordinal);
        await socket.SendAsync(body.AsMemory(0, body.Length / 2));
        if (reset)
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        else
        {
            socket.Shutdown(SocketShutdown.Send);
        }

        var logs = await WaitForEventAsync(service.Logs, BodyAbortedEvent);
        Assert.Equal(LogLevel.Debug, logs.First(r => r.Id.Id == BodyAbortedEvent).Level);
        var loud = logs.Where(r => r.Level >= LogLevel.Warning).Select(r => $"{r.Id} {r.Level} {r.Category}: {r.Message} {r.Exception}").ToList();
        Assert.True(loud.Count == 0, string.Join("\n", loud));
        Assert.Equal(0, (await service.Inbox.CountAsync(default)).Total);
    }

    [Fact]
    public async Task Body_stream_failing_once_the_request_was_aborted_answers_499_quietly()
    {
        using var service = new ServiceFactory();
        var subscription = service.Subscriptions.Add(Resource);
        using var aborted = new CancellationTokenSource();
        var context = Request(service, new FailingStream(aborted), aborted.Token);

        var result = await service.Services.GetRequiredService<NotificationIntake>().ReceiveAsync(context, "notifications");

        Assert.Equal(StatusCodes.Status499ClientClosedRequest, Assert.IsAssignableFrom<IStatusCodeHttpResult>(result).StatusCode);
        var logs = service.Logs.GetSnapshot();
        Assert.Equal(LogLevel.Debug, Assert.Single(logs, r => r.Id.Id == BodyAbortedEvent).Level);
        Assert.Empty(logs.Where(r => r.Level >= LogLevel.Warning).Select(r => $"{r.Id} {r.Level} {r.Category}: {r.Message} {r.Exception}"));
        _ = subscription;
    }

    [Fact]
    public async Task Client_gone_while_the_inbox_writes_is_logged_at_debug_not_as_a_store_failure()
    {
        using var aborted = new CancellationTokenSource();
        var storing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var inbox = new Mock<IInbox>();
        inbox.Setup(i => i.AppendAsync(It.IsAny<IReadOnlyList<InboxEntry>>(), It.IsAny<CancellationToken>()))
            .Returns(async (IReadOnlyList<InboxEntry> _, CancellationToken ct) =>
            {
                await aborted.CancelAsync();
                storing.SetResult();
                await Task.Delay(Timeout.Infinite, ct);
            });
        using var service = new ServiceFactory().WithServices(s => s.AddSingleton(inbox.Object));
        var subscription = service.Subscriptions.Add(Resource);
        var context = Request(service, new MemoryStream(Encoding.UTF8.GetBytes(Payloads.Batch(Payloads.Item(subscription)))), aborted.Token);

        var receiving = service.Services.GetRequiredService<NotificationIntake>().ReceiveAsync(context, "notifications");
        await storing.Task;

        // The client left, but a write that may still commit is not given up on before the store timeout.
        await Task.Yield();
        Assert.False(receiving.IsCompleted);
        service.Time.Advance(service.Services.GetRequiredService<IOptions<ReceivingOptions>>().Value.StoreTimeout);
        var result = await receiving;

        Assert.Equal(StatusCodes.Status499ClientClosedRequest, Assert.IsAssignableFrom<IStatusCodeHttpResult>(result).StatusCode);
        var logs = service.Logs.GetSnapshot();
        var line = Assert.Single(logs, r => r.Id.Id == StoreAbortedEvent);
        Assert.Equal(LogLevel.Debug, line.Level);
        Assert.Equal("1", line.GetStructuredStateValue("ItemCount"));
        Assert.DoesNotContain(logs, r => r.Id.Id == StoreFailedEvent || r.Level >= LogLevel.Warning);
    }

    private static DefaultHttpContext Request(ServiceFactory service, Stream body, CancellationToken aborted) => new()
    {
        RequestServices = service.Services,
        RequestAborted = aborted,
        Request = { Method = "POST", ContentType = "application/json", Body = body },
    };

    private static int Port(ServiceFactory service) =>
        new Uri(service.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;

    private static async Task<IReadOnlyList<FakeLogRecord>> WaitForEventAsync(FakeLogCollector logs, int eventId)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!logs.GetSnapshot().Any(r => r.Id.Id == eventId))
        {
            await Task.Delay(20, timeout.Token);
        }

        return logs.GetSnapshot();
    }

    /// <summary>A request body that gives a few bytes, then fails as Kestrel's does when the client is gone.</summary>
    private sealed class FailingStream(CancellationTokenSource aborted) : MemoryStream("{ \"value\": ["u8.ToArray())
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await base.ReadAsync(buffer, cancellationToken);
            if (read > 0)
            {
                return read;
            }

            await aborted.CancelAsync();
            throw new IOException("The client reset the connection.");
        }
    }
}
