namespace ChangeNotifications.Receiving;

/// <summary>
/// How many webhook answers of the last 10 minutes were slow, in 60 buckets of 10 s: an answer adds to its bucket with
/// two atomic increments (no lock, no allocation); the share is read over the buckets still inside the window. A bucket
/// is reset by the first answer of its new period; answers racing that reset may be lost, which a share can bear.
/// </summary>
internal sealed class SlowAnswerWindow(TimeProvider time)
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(10);

    private const int Buckets = 60;
    private static readonly long BucketTicks = Window.Ticks / Buckets;

    private readonly long[] _periods = new long[Buckets];
    private readonly long[] _answers = new long[Buckets];
    private readonly long[] _slow = new long[Buckets];

    public void Add(bool slow)
    {
        var period = time.GetUtcNow().UtcTicks / BucketTicks;
        var index = (int)(period % Buckets);
        var seen = Volatile.Read(ref _periods[index]);
        if (seen != period && Interlocked.CompareExchange(ref _periods[index], period, seen) == seen)
        {
            Volatile.Write(ref _answers[index], 0);
            Volatile.Write(ref _slow[index], 0);
        }

        Interlocked.Increment(ref _answers[index]);
        if (slow)
        {
            Interlocked.Increment(ref _slow[index]);
        }
    }

    /// <summary>Slow answers over all answers in the window; 0 when there were none.</summary>
    public double Share()
    {
        var current = time.GetUtcNow().UtcTicks / BucketTicks;
        long answers = 0, slow = 0;
        for (var i = 0; i < Buckets; i++)
        {
            var period = Volatile.Read(ref _periods[i]);
            if (period > current - Buckets && period <= current)
            {
                answers += Volatile.Read(ref _answers[i]);
                slow += Volatile.Read(ref _slow[i]);
            }
        }

        return answers == 0 ? 0 : (double)slow / answers;
    }
}
