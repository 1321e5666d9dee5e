using System.Net.Security;

namespace ChangeNotifications.GraphEmulator.Hosting;

/// <summary>
/// The HttpClient the emulator uses to reach subscribers (handshakes, notifications). Subscriber endpoints on this
/// machine run development certificates, so any server certificate is accepted; timeouts are applied per call
/// on the emulator's clock.
/// </summary>
internal sealed class OutboundHttp : IDisposable
{
    public OutboundHttp()
    {
        Client = new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = static (_, _, _, _) => true },
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public HttpClient Client { get; }

    public void Dispose() => Client.Dispose();
}
