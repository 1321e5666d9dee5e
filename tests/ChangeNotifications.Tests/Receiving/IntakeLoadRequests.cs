using ChangeNotifications.Receiving;

namespace ChangeNotifications.Tests.Receiving;

/// <summary>Requests reported to an <see cref="IntakeLoad"/> in the shapes the tests need.</summary>
internal static class IntakeLoadRequests
{
    /// <summary><paramref name="count"/> requests all in flight at once, then answered: the k-th finds k − 1 others.</summary>
    public static void Overlapping(this IntakeLoad load, int count)
    {
        for (var i = 0; i < count; i++)
        {
            load.RequestStarted();
        }

        for (var i = 0; i < count; i++)
        {
            load.RequestFinished();
        }
    }

    /// <summary><paramref name="count"/> requests one after the other: none finds another in flight.</summary>
    public static void OneByOne(this IntakeLoad load, int count)
    {
        for (var i = 0; i < count; i++)
        {
            load.RequestStarted();
            load.RequestFinished();
        }
    }

    /// <summary><paramref name="count"/> requests one after the other, each storing <paramref name="notifications"/>.</summary>
    public static void Batches(this IntakeLoad load, int count, int notifications)
    {
        for (var i = 0; i < count; i++)
        {
            load.RequestStarted();
            load.Stored(notifications);
            load.RequestFinished();
        }
    }
}
