using System.Net;
using System.Text;
using ChangeNotifications.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ChangeNotifications.Tests.Faults;

/// <summary>
/// The built service runs under <c>strace</c> while notifications are posted one at a time on one connection; for each,
/// the trace must show its inbox write into the SQLite WAL, then an fsync of the WAL, then the <c>202</c> on the socket.
/// Unlike the SIGKILL test (a killed process leaves its page cache behind), this fails on a build that answers before
/// its write or that does not fsync before answering.
/// </summary>
[Collection(ProcessTestsCollection.Name)]
public sealed class AcknowledgementOrderTests(ITestOutputHelper output) : IDisposable
{
    private const int Notifications = 6;
    private static readonly string[] Writes = ["pwrite64", "pwritev", "pwritev2", "write", "writev"];
    private static readonly string[] Syncs = ["fsync", "fdatasync"];
    private static readonly string[] Sends = ["sendto", "sendmsg", "write", "writev"];
    private readonly TempDirectory _directory = new("cn-strace-");

    public void Dispose() => _directory.Dispose();

    [StraceFact]
    public async Task Each_202_leaves_after_its_notification_is_written_to_the_WAL_and_the_WAL_is_fsynced()
    {
        Assert.True(StraceFactAttribute.Executable is not null, "strace is not installed: CI installs it (.ci/run).");
        var database = _directory.File("service.db");
        var trace = _directory.File("strace.log");
        var subscription = (await SubscriptionSeed.SeedAsync(database, count: 1, CancellationToken.None, NotificationLoad.Resource))[0];
        // Launched under strace (no attach, so no ptrace permission is needed); -y names each descriptor's file or
        // socket, -s prints a whole WAL page. The dispatcher is off: the inbox's writes are the intake's alone.
        string[] strace =
        [
            StraceFactAttribute.Executable!, "-f", "--seccomp-bpf", "-tt", "-y", "-s", "16384", "-o", trace,
            "-e", "trace=" + string.Join(',', Writes.Union(Syncs).Union(Sends)), "--",
        ];
        var settings = new Dictionary<string, string> { ["Dispatcher:Enabled"] = "false", ["Storage:Durability"] = "Full" };
        await using var service = await ServiceProcess.StartAsync(ServiceLaunch.ReceiverDll, database, settings, runUnder: strace);

        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 }) { BaseAddress = service.BaseAddress };
        var ids = Enumerable.Range(1, Notifications).Select(n => $"durable-{n}-{Guid.NewGuid():N}").ToList();
        foreach (var id in ids)
        {
            using var content = new StringContent(NotificationLoad.Body([id], subscription), Encoding.UTF8, "application/json");
            using var response = await client.PostAsync(new Uri("/api/notifications", UriKind.Relative), content);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        // The client has its answers; strace prints a call once it returns or another thread's event comes: wait until
        // the log shows every 202 and every notification's write (a build that answers first may write after).
        var walName = "/" + Path.GetFileName(database) + "-wal";
        bool Wal(Syscall call) => call.Target.EndsWith(walName, StringComparison.Ordinal);
        IReadOnlyList<Syscall> calls;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        do
        {
            await Task.Delay(50);
            calls = SyscallTrace.Parse(await ReadCompleteLinesAsync(trace));
        }
        while (DateTime.UtcNow < deadline && !(Answers(calls).Count >= Notifications && ids.All(id => calls.Any(c => Wal(c) && IsWriteOf(c, id)))));

        var answers = Answers(calls);
        Assert.True(answers.Count == Notifications, $"The trace shows {answers.Count} sends of a 202, not {Notifications}.");
        for (var n = 0; n < Notifications; n++)
        {
            var (id, answer) = (ids[n], answers[n]);
            var write = calls.FirstOrDefault(c => Wal(c) && IsWriteOf(c, id));
            Assert.True(write is not null, $"Notification {n + 1} was answered 202 ({answer.Time}) but no write into the WAL carried it.");
            Assert.True(
                write.Exit < answer.Entry,
                $"Notification {n + 1} was answered 202 ({answer.Time}) before its inbox write into the WAL (entered {write.Time}) returned.");
            var sync = calls.FirstOrDefault(c => Wal(c) && Syncs.Contains(c.Name) && c.Result == "0" && c.Entry > write.Exit && !IsCheckpointSync(calls, c, database));
            var unsynced = $"Notification {n + 1} was written into the WAL ({write.Time}) and answered 202 ({answer.Time}) with no fsync " +
                $"of the WAL between them (the WAL's next sync, a checkpoint's excluded: {sync?.Time ?? "none"}).";
            Assert.True(sync is not null, unsynced);
            Assert.True(sync.Exit < answer.Entry, unsynced);
            output.WriteLine($"notification {n + 1}: WAL write {write.Time} (thread {write.Thread}), {sync.Name} {sync.Time} (thread {sync.Thread}), 202 sent {answer.Time} (thread {answer.Thread})");
        }
    }

    /// <summary>Sends of an HTTP 202 status line on a socket, in order.</summary>
    private static List<Syscall> Answers(IReadOnlyList<Syscall> calls) =>
        calls.Where(c => Sends.Contains(c.Name) && c.Target.StartsWith("socket:", StringComparison.Ordinal)
            && c.Arguments.Contains("HTTP/1.1 202 ", StringComparison.Ordinal)).ToList();

    private static bool IsWriteOf(Syscall call, string id) =>
        Writes.Contains(call.Name) && call.Arguments.Contains(id, StringComparison.Ordinal) && !call.Result.StartsWith('-');

    /// <summary>
    /// A checkpoint syncs the WAL, then copies its pages into the database file; a commit's sync is followed by the
    /// next commit's WAL writes or a checkpoint's own sync. A checkpoint's sync that happens to come before a 202 does
    /// not show that the 202 waited for one.
    /// </summary>
    private static bool IsCheckpointSync(IReadOnlyList<Syscall> calls, Syscall sync, string database)
    {
        var databaseName = "/" + Path.GetFileName(database);
        var next = calls.FirstOrDefault(c => c.Thread == sync.Thread && c.Entry > sync.Exit
            && (c.Target.EndsWith(databaseName, StringComparison.Ordinal) || c.Target.EndsWith(databaseName + "-wal", StringComparison.Ordinal)));
        return next is not null && next.Target.EndsWith(databaseName, StringComparison.Ordinal);
    }

    private static async Task<IReadOnlyList<string>> ReadCompleteLinesAsync(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var text = await reader.ReadToEndAsync();
        // strace may be mid-line: only lines it has ended count.
        return text[..(text.LastIndexOf('\n') + 1)].Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
