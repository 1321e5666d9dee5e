using System.Net;
using System.Text;
using ChangeNotifications.GraphEmulator.Control;
using ChangeNotifications.GraphEmulator.Hosting;
using Microsoft.Extensions.Logging;

namespace ChangeNotifications.GraphEmulator.Subscriptions;

/// <summary>
/// Graph's validation request: <c>POST {url}?validationToken={token}</c> (token form-encoded, spaces as '+'),
/// <c>Content-Type: text/plain; charset=utf-8</c>, answered within the handshake timeout with 200 and exactly the
/// decoded token.
/// </summary>
internal sealed partial class ValidationHandshake(
    OutboundHttp http,
    FaultInjector faults,
    GraphEmulatorOptions options,
    ILogger<ValidationHandshake> logger)
{
    private const int MaxEchoBytes = 4096;

    public static string NewToken() =>
        $"Validation: Testing client application reachability for subscription Request-Id: {Guid.NewGuid()}";

    public async Task<HandshakeResult> ValidateAsync(Uri url, CancellationToken cancellationToken)
    {
        var token = NewToken();
        if (faults.TakeHandshakeTimeout())
        {
            LogOutcome(logger, url, HandshakeResult.TimedOut);
            return HandshakeResult.TimedOut;
        }

        using var timeout = new CancellationTokenSource(options.HandshakeTimeout, options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        var result = await SendAsync(WithValidationToken(url, token), token, timeout, linked.Token);
        LogOutcome(logger, url, result);
        return result;
    }

    private async Task<HandshakeResult> SendAsync(Uri target, string token, CancellationTokenSource timeout, CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, target)
            {
                Content = new StringContent(string.Empty, Encoding.UTF8, "text/plain"),
            };
            using var response = await http.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return HandshakeResult.NotOk;
            }

            var echo = await ReadLimitedAsync(response.Content, cancellationToken);
            return string.Equals(echo, token, StringComparison.Ordinal) ? HandshakeResult.Valid : HandshakeResult.Mismatch;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return HandshakeResult.TimedOut;
        }
        catch (HttpRequestException)
        {
            return HandshakeResult.NotOk;
        }
    }

    private static Uri WithValidationToken(Uri url, string token)
    {
        var separator = string.IsNullOrEmpty(url.Query) ? "?" : "&";
        return new Uri(url.AbsoluteUri + separator + "validationToken=" + WebUtility.UrlEncode(token));
    }

    private static async Task<string?> ReadLimitedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[MaxEchoBytes + 1];
        var total = 0;
        int read;
        while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken)) > 0)
        {
            total += read;
        }

        return total > MaxEchoBytes ? null : Encoding.UTF8.GetString(buffer, 0, total);
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Emulator validation request to {Url}: {Result}")]
    private static partial void LogOutcome(ILogger logger, Uri url, HandshakeResult result);
}

internal enum HandshakeResult
{
    Valid,
    NotOk,
    Mismatch,
    TimedOut,
}
