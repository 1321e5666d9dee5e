using ChangeNotifications.Dispatching;
using ChangeNotifications.Inbox;
using Microsoft.Extensions.Time.Testing;

namespace ChangeNotifications.Tests.Dispatching;

/// <summary>The dispatcher's feed to the status page: listeners get what is published while they listen, and one that
/// never reads holds up nobody.</summary>
public sealed class DispatchFeedTests
{
    private readonly DispatchFeed _feed = new(new FakeTimeProvider(DateTimeOffset.UnixEpoch));

    private static InboxItem Item(long id) =>
        new(id, $"key-{id}", InboxItemKind.Change, Guid.Empty, "{}", null, 1, DateTimeOffset.UnixEpoch, InboxItemStatus.Claimed, null);

    [Fact]
    public async Task A_listener_gets_what_is_published_while_it_listens_and_leaves_when_it_stops()
    {
        _feed.Publish(Item(1), DispatchOutcome.Handled); // before anyone listens: gone
        using var stop = new CancellationTokenSource();
        var listening = _feed.ListenAsync(stop.Token).GetAsyncEnumerator(stop.Token);
        var first = listening.MoveNextAsync();
        Assert.True(_feed.HasListeners);

        _feed.Publish(Item(2), DispatchOutcome.DeadLettered, "refused");

        Assert.True(await first);
        Assert.Equal((2L, DispatchOutcome.DeadLettered, "refused"), (listening.Current.Item.Id, listening.Current.Outcome, listening.Current.Reason));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await listening.MoveNextAsync());
        await listening.DisposeAsync();
        Assert.False(_feed.HasListeners);
    }

    [Fact]
    public async Task A_listener_that_falls_behind_loses_its_oldest_entries_and_never_blocks_the_publisher()
    {
        using var stop = new CancellationTokenSource();
        var listening = _feed.ListenAsync(stop.Token).GetAsyncEnumerator(stop.Token);
        var first = listening.MoveNextAsync(); // subscribes, then waits

        const int published = DispatchFeed.ListenerCapacity * 4;
        for (var id = 1; id <= published; id++)
        {
            _feed.Publish(Item(id), DispatchOutcome.Handled); // returns at once: nobody reads yet
        }

        Assert.True(await first);
        var ids = new List<long> { listening.Current.Item.Id };
        // The first entry may have gone to the waiting reader before the queue filled: up to one more than the queue.
        while (ids[^1] != published && ids.Count <= DispatchFeed.ListenerCapacity && await listening.MoveNextAsync())
        {
            ids.Add(listening.Current.Item.Id);
        }

        Assert.Equal(published, ids[^1]);
        Assert.True(ids.Count <= DispatchFeed.ListenerCapacity + 1);
        Assert.True(ids[1] > published - DispatchFeed.ListenerCapacity - 1, $"oldest kept: {ids[1]}");
        await stop.CancelAsync();
        await listening.DisposeAsync();
    }
}
