using System.Buffers;

// Bare Kestrel: the same routes as the service, the body read to its end, 202. What the machine can do at best.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);
var app = builder.Build();
app.MapPost("/api/notifications", ReadAndAccept);
app.MapPost("/api/lifecycle", ReadAndAccept);
app.Run();

static async Task<IResult> ReadAndAccept(HttpRequest request)
{
    var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
    try
    {
        while (await request.Body.ReadAsync(buffer, request.HttpContext.RequestAborted) > 0)
        {
        }
    }
    finally
    {
        ArrayPool<byte>.Shared.Return(buffer);
    }

    return TypedResults.StatusCode(StatusCodes.Status202Accepted);
}
