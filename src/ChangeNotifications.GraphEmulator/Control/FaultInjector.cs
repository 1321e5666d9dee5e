using System.Globalization;
using ChangeNotifications.GraphEmulator.Hosting;
using Microsoft.AspNetCore.Http;

namespace ChangeNotifications.GraphEmulator.Control;

/// <summary>Faults queued through the control API, each used up by the next Graph API requests or handshakes.</summary>
internal sealed class FaultInjector
{
    private readonly Lock _gate = new();
    private readonly Queue<RequestFault> _requestFaults = new();
    private int _handshakeTimeouts;

    public void Enqueue(RequestFault fault, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        lock (_gate)
        {
            for (var i = 0; i < count; i++)
            {
                _requestFaults.Enqueue(fault);
            }
        }
    }

    public RequestFault? TakeRequestFault()
    {
        lock (_gate)
        {
            return _requestFaults.TryDequeue(out var fault) ? fault : null;
        }
    }

    public void TimeOutNextHandshakes(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        Interlocked.Add(ref _handshakeTimeouts, count);
    }

    public bool TakeHandshakeTimeout()
    {
        while (true)
        {
            var current = Volatile.Read(ref _handshakeTimeouts);
            if (current == 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _handshakeTimeouts, current - 1, current) == current)
            {
                return true;
            }
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _requestFaults.Clear();
        }

        Interlocked.Exchange(ref _handshakeTimeouts, 0);
    }
}

/// <summary>One faulty answer of a Graph API request.</summary>
internal abstract record RequestFault
{
    /// <summary>Returns the answer to send instead of the real one, or null to carry on with the request.</summary>
    public abstract Task<IResult?> ApplyAsync(HttpContext context, TimeProvider timeProvider);

    /// <summary>Graph's error answer, with <c>Retry-After</c> in whole seconds when <paramref name="retryAfter"/> is set.</summary>
    protected static Task<IResult?> ErrorAnswer(HttpContext context, int statusCode, string code, string message, TimeSpan? retryAfter, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (retryAfter is { } wait)
        {
            context.Response.Headers.RetryAfter = ((long)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        return Task.FromResult<IResult?>(GraphError.Result(context, statusCode, code, message, timeProvider));
    }
}

/// <summary>429 with Retry-After, as Graph throttles.</summary>
internal sealed record ThrottleFault(TimeSpan RetryAfter) : RequestFault
{
    public override Task<IResult?> ApplyAsync(HttpContext context, TimeProvider timeProvider) =>
        ErrorAnswer(
            context, StatusCodes.Status429TooManyRequests, "TooManyRequests",
            "Too many requests from Identifier under tenant. Please try again later.", RetryAfter, timeProvider);
}

/// <summary>A 5xx answer, with <c>Retry-After</c> when <see cref="RetryAfter"/> is set (Graph sends one with most 503s).</summary>
internal sealed record ServerErrorFault(int StatusCode, TimeSpan? RetryAfter = null) : RequestFault
{
    public override Task<IResult?> ApplyAsync(HttpContext context, TimeProvider timeProvider)
    {
        var (code, message) = StatusCode switch
        {
            StatusCodes.Status503ServiceUnavailable => ("serviceNotAvailable", "The service is temporarily unavailable. Please try again later."),
            StatusCodes.Status504GatewayTimeout => ("gatewayTimeout", "The gateway timed out."),
            _ => ("generalException", "An unspecified error has occurred."),
        };
        return ErrorAnswer(context, StatusCode, code, message, RetryAfter, timeProvider);
    }
}

/// <summary>
/// A 4xx answer in Graph's error shape: <see cref="Code"/> and <see cref="Message"/> default to what Graph sends for the
/// status, and <c>Retry-After</c> is set when <see cref="RetryAfter"/> is (a 403 that throttles).
/// </summary>
internal sealed record ClientErrorFault(int StatusCode, string? Code = null, string? Message = null, TimeSpan? RetryAfter = null) : RequestFault
{
    public override Task<IResult?> ApplyAsync(HttpContext context, TimeProvider timeProvider)
    {
        var (code, message) = StatusCode switch
        {
            StatusCodes.Status400BadRequest => ("BadRequest", "Invalid request."),
            StatusCodes.Status403Forbidden => ("ErrorAccessDenied", "Access is denied. Check credentials and try again."),
            StatusCodes.Status414UriTooLong => ("RequestUriTooLong", "The request URI is too long."),
            StatusCodes.Status422UnprocessableEntity => ("UnprocessableEntity", "The request could not be processed."),
            _ => ("invalidRequest", "The request is malformed or incorrect."),
        };
        return ErrorAnswer(context, StatusCode, Code ?? code, Message ?? message, RetryAfter, timeProvider);
    }
}

/// <summary>No answer: the connection is dropped, which the client sees as a network error.</summary>
internal sealed record DropConnectionFault : RequestFault
{
    public override Task<IResult?> ApplyAsync(HttpContext context, TimeProvider timeProvider)
    {
        context.Abort();
        return Task.FromResult<IResult?>(Results.Empty);
    }
}

/// <summary>The real answer, but only after <see cref="Delay"/> (measured on the emulator's clock).</summary>
internal sealed record SlowAnswerFault(TimeSpan Delay) : RequestFault
{
    public override async Task<IResult?> ApplyAsync(HttpContext context, TimeProvider timeProvider)
    {
        await Task.Delay(Delay, timeProvider, context.RequestAborted);
        return null;
    }
}
