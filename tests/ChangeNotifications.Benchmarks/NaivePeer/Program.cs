using System.Text.Json;
using Npgsql;

// A Graph webhook receiver as most are written: parse the body, check each item's clientState, then one INSERT of the
// body and its commit per request (autocommit, synchronous_commit on) before the 202. The benchmark sets the
// PostgreSQL store's group commit against it on the same server. NAIVE_CONNECTION: the database's connection string;
// NAIVE_CLIENT_STATES: the clientStates the benchmark's subscriptions use, separated by commas.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);
var connectionString = Environment.GetEnvironmentVariable("NAIVE_CONNECTION")
    ?? throw new InvalidOperationException("NAIVE_CONNECTION must name the PostgreSQL database.");
var clientStates = (Environment.GetEnvironmentVariable("NAIVE_CLIENT_STATES") ?? string.Empty)
    .Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
await using var dataSource = NpgsqlDataSource.Create(connectionString);
await using (var create = dataSource.CreateCommand(
    "CREATE TABLE IF NOT EXISTS naive_inbox (id bigserial PRIMARY KEY, body jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now())"))
{
    await create.ExecuteNonQueryAsync();
}

var app = builder.Build();
app.MapPost("/api/notifications", Receive);
app.MapPost("/api/lifecycle", Receive);
await app.RunAsync();

async Task<IResult> Receive(HttpRequest request)
{
    using var body = await JsonDocument.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted);
    foreach (var item in body.RootElement.GetProperty("value").EnumerateArray())
    {
        if (!item.TryGetProperty("clientState", out var state) || !clientStates.Contains(state.GetString() ?? string.Empty))
        {
            return TypedResults.StatusCode(StatusCodes.Status403Forbidden);
        }
    }

    await using var insert = dataSource.CreateCommand("INSERT INTO naive_inbox (body) VALUES ($1::jsonb)");
    insert.Parameters.Add(new NpgsqlParameter { Value = body.RootElement.GetRawText() });
    await insert.ExecuteNonQueryAsync(request.HttpContext.RequestAborted);
    return TypedResults.StatusCode(StatusCodes.Status202Accepted);
}
