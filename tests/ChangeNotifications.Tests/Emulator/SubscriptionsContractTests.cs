using ChangeNotifications.GraphEmulator.Tenant;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;

namespace ChangeNotifications.Tests.Emulator;

/// <summary>Graph's subscription rules, driven through the real GraphServiceClient and ClientSecretCredential.</summary>
public sealed class SubscriptionsContractTests : IAsyncLifetime
{
    private static readonly string MessagesPath = $"users/{SeedIds.UserId}/messages";
    private static readonly string ChannelMessagesPath = $"teams/{SeedIds.TeamId}/channels/{SeedIds.ChannelId}/messages";

    private EmulatorFixture _emulator = null!;
    private LoopbackReceiver _receiver = null!;

    public async Task InitializeAsync()
    {
        _emulator = await EmulatorFixture.StartAsync(o => o.SubscriptionsPageSize = 2);
        _receiver = await LoopbackReceiver.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        await _emulator.DisposeAsync();
    }

    [Fact]
    public async Task Create_validates_notification_and_lifecycle_urls_with_graphs_request()
    {
        var created = await _emulator.Graph.Subscriptions.PostAsync(NewSubscription(MessagesPath, lifecycle: true));

        Assert.NotNull(created?.Id);
        Assert.Equal("secret-state", created!.ClientState);
        Assert.Equal(2, _receiver.Handshakes.Count);
        Assert.Contains(_receiver.Handshakes, h => h.Path == "/api/notifications");
        Assert.Contains(_receiver.Handshakes, h => h.Path == "/api/lifecycle");
        foreach (var handshake in _receiver.Handshakes)
        {
            Assert.Equal("text/plain; charset=utf-8", handshake.ContentType);
            Assert.Matches("^Validation: Testing client application reachability for subscription Request-Id: [0-9a-f-]{36}$", handshake.Token);
            Assert.StartsWith("?validationToken=Validation%3A+Testing+client+application+reachability", handshake.RawQuery, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task Get_and_list_never_return_the_client_state()
    {
        var created = await _emulator.Graph.Subscriptions.PostAsync(NewSubscription(MessagesPath));

        var fetched = await _emulator.Graph.Subscriptions[created!.Id].GetAsync();
        var listed = await _emulator.Graph.Subscriptions.GetAsync();

        Assert.Equal(created.Id, fetched!.Id);
        Assert.Equal(MessagesPath, fetched.Resource);
        Assert.Equal(_emulator.Server.ClientId, fetched.ApplicationId);
        Assert.Null(fetched.ClientState);
        Assert.Null(Assert.Single(listed!.Value!).ClientState);
    }

    [Fact]
    public async Task List_is_paged_with_a_next_link()
    {
        foreach (var path in new[] { MessagesPath, $"users/{SeedIds.UserId}/events", $"users/{SeedIds.UserId}/contacts" })
        {
            await _emulator.Graph.Subscriptions.PostAsync(NewSubscription(path));
        }

        var first = await _emulator.Graph.Subscriptions.GetAsync();
        Assert.Equal(2, first!.Value!.Count);
        Assert.NotNull(first.OdataNextLink);
        var second = await _emulator.Graph.Subscriptions.WithUrl(first.OdataNextLink).GetAsync();

        Assert.Single(second!.Value!);
        Assert.Null(second.OdataNextLink);
        Assert.Equal(3, first.Value.Concat(second.Value!).Select(s => s.Id).Distinct().Count());
    }

    [Fact]
    public async Task Wrong_echo_is_refused_with_graphs_message()
    {
        _receiver.Handshake = LoopbackReceiver.HandshakeMode.WrongEcho;

        var error = await Assert.ThrowsAsync<ODataError>(() => _emulator.Graph.Subscriptions.PostAsync(NewSubscription(MessagesPath)));

        Assert.Equal(400, error.ResponseStatusCode);
        Assert.Equal("Subscription validation request failed. Response must exactly match validationToken query parameter.", error.Error!.Message);
        Assert.Empty(_emulator.Control.Subscriptions);
    }

    [Fact]
    public async Task Non_200_handshake_is_refused_with_graphs_message()
    {
        _receiver.Handshake = LoopbackReceiver.HandshakeMode.NotOk;

        var error = await Assert.ThrowsAsync<ODataError>(() => _emulator.Graph.Subscriptions.PostAsync(NewSubscription(MessagesPath)));

        Assert.Equal(400, error.ResponseStatusCode);
        Assert.Equal("Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.", error.Error!.Message);
    }

    [Fact]
    public async Task Handshake_that_does_not_answer_in_time_is_refused()
    {
        await using var emulator = await EmulatorFixture.StartAsync(o => o.HandshakeTimeout = TimeSpan.FromMilliseconds(300));
        _receiver.Handshake = LoopbackReceiver.HandshakeMode.Hang;

        var error = await Assert.ThrowsAsync<ODataError>(() => emulator.Graph.Subscriptions.PostAsync(NewSubscription(MessagesPath)));

        Assert.Equal(400, error.ResponseStatusCode);
        Assert.Equal("Subscription validation request timed out.", error.Error!.Message);
    }

    [Fact]
    public async Task Handshake_timeout_fault_fails_the_next_create_only()
    {
        _emulator.Control.TimeOutNextHandshakes(1);

        var error = await Assert.ThrowsAsync<ODataError>(() => _emulator.Graph.Subscriptions.PostAsync(NewSubscription(MessagesPath)));
        var created = await _emulator.Graph.Subscriptions.PostAsync(NewSubscription(MessagesPath));

        Assert.Equal("Subscription validation request timed out.", error.Error!.Message);
        Assert.NotNull(created!.Id);
    }

    [Fact]
    public async Task Expiration_past_the_resources_maximum_is_refused()
    {
        var subscription = NewSubscription(MessagesPath);
        subscription.ExpirationDateTime = DateTimeOffset.UtcNow.AddMinutes(10080 + 5);

        var error = await Assert.ThrowsAsync<ODataError>(() => _emulator.Graph.Subscriptions.PostAsync(subscription));

        Assert.Equal(400, error.ResponseStatusCode);
        Assert.Equal("ExtensionError", error.Error!.Code);
        Assert.Equal("Subscription expiration can only be 10080 minutes in the future.", error.Error.Message);
    }

    [Fact]
    public async Task Expiration_under_45_minutes_is_raised_to_45()
    {
        var subscription = NewSubscription(MessagesPath);
        subscription.ExpirationDateTime = DateTimeOffset.UtcNow.AddMinutes(5);

        var created = await _emulator.Graph.Subscriptions.PostAsync(subscription);

        var lifetime = created!.ExpirationDateTime!.Value - DateTimeOffset.UtcNow;
        Assert.InRange(lifetime, TimeSpan.FromMinutes(44), TimeSpan.FromMinutes(45));
    }

    [Fact]
    public async Task Unknown_id_is_404_for_get_patch_delete_and_reauthorize()
    {
        var id = Guid.NewGuid().ToString();
        var renewal = new Subscription { ExpirationDateTime = DateTimeOffset.UtcNow.AddHours(2) };

        var errors = new[]
        {
            await Assert.ThrowsAsync<ODataError>(() => _emulator.Graph.Subscriptions[id].GetAsync()),
            await Assert.ThrowsAsync<ODataError>(() => _emulator.Graph.Subscriptions[id].PatchAsync(renewal)),
            await Assert.ThrowsAsync<ODataError>(() => _emulator.Graph.Subscriptions[id].DeleteAsync()),
            await Assert.ThrowsAsync<ODataError>(() => _emulator.Graph.Subscriptions[id].Reauthorize.PostAsync()),
        };

        Assert.All(errors, e =>
        {
            Assert.Equal(404, e.ResponseStatusCode);
            Assert.Equal("ResourceNotFound", e.Error!.Code);
        });
    }

    [Fact]
    public async Task Same_resource_and_change_type_twice_is_a_conflict()
    {
        var first = await _emulator.Graph.Subscriptions.PostAsync(NewSubscription(MessagesPath));
        var again = NewSubscription(MessagesPath);
        again.Resource = "/" + MessagesPath;

        var error = await Assert.ThrowsAsync<ODataError>(() => _emulator.Graph.Subscriptions.PostAsync(again));

        Assert.Equal(409, error.ResponseStatusCode);
        Assert.Equal($"Subscription Id {first!.Id} already exists for the requested combination", error.Error!.Message);
    }

    [Fact]
    public async Task Teams_resource_past_one_hour_needs_a_lifecycle_url()
    {
        var withoutLifecycle = NewSubscription(ChannelMessagesPath);
        withoutLifecycle.ExpirationDateTime = DateTimeOffset.UtcNow.AddHours(2);

        var error = await Assert.ThrowsAsync<ODataError>(() => _emulator.Graph.Subscriptions.PostAsync(withoutLifecycle));
        var shortOne = NewSubscription(ChannelMessagesPath);
        shortOne.ExpirationDateTime = DateTimeOffset.UtcNow.AddMinutes(50);
        var shortCreated = await _emulator.Graph.Subscriptions.PostAsync(shortOne);
        await _emulator.Graph.Subscriptions[shortCreated!.Id].DeleteAsync();
        var withLifecycle = NewSubscription(ChannelMessagesPath, lifecycle: true);
        withLifecycle.ExpirationDateTime = DateTimeOffset.UtcNow.AddHours(2);
        var longCreated = await _emulator.Graph.Subscriptions.PostAsync(withLifecycle);

        Assert.Equal(400, error.ResponseStatusCode);
        Assert.Equal(
            "lifecycleNotificationUrl is a required property for subscription creation on this resource when the expirationDateTime value is set to greater than 1 hour.",
            error.Error!.Message);
        Assert.NotNull(longCreated!.Id);
    }

    [Fact]
    public async Task Change_type_the_resource_does_not_support_is_refused()
    {
        var subscription = NewSubscription("users");
        subscription.ChangeType = "created,updated";

        var error = await Assert.ThrowsAsync<ODataError>(() => _emulator.Graph.Subscriptions.PostAsync(subscription));

        Assert.Equal(400, error.ResponseStatusCode);
        Assert.Contains("'created' is not supported for resource 'users'", error.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resource_data_without_a_certificate_is_refused()
    {
        var subscription = NewSubscription(ChannelMessagesPath, lifecycle: true);
        subscription.IncludeResourceData = true;

        var error = await Assert.ThrowsAsync<ODataError>(() => _emulator.Graph.Subscriptions.PostAsync(subscription));

        Assert.Equal(400, error.ResponseStatusCode);
        Assert.StartsWith("encryptionCertificate is a required property", error.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resource_data_on_a_resource_without_it_is_refused()
    {
        var subscription = NewSubscription("users");
        subscription.IncludeResourceData = true;

        var error = await Assert.ThrowsAsync<ODataError>(() => _emulator.Graph.Subscriptions.PostAsync(subscription));

        Assert.Equal(400, error.ResponseStatusCode);
        Assert.Equal("includeResourceData is not supported for resource 'users'.", error.Error!.Message);
    }

    [Fact]
    public async Task Client_state_longer_than_128_characters_is_refused()
    {
        var subscription = NewSubscription(MessagesPath);
        subscription.ClientState = new string('x', 129);

        var error = await Assert.ThrowsAsync<ODataError>(() => _emulator.Graph.Subscriptions.PostAsync(subscription));

        Assert.Equal(400, error.ResponseStatusCode);
    }

    [Fact]
    public async Task Patching_the_notification_url_validates_the_new_one()
    {
        var created = await _emulator.Graph.Subscriptions.PostAsync(NewSubscription(MessagesPath));
        _receiver.Handshake = LoopbackReceiver.HandshakeMode.NotOk;

        var error = await Assert.ThrowsAsync<ODataError>(() =>
            _emulator.Graph.Subscriptions[created!.Id].PatchAsync(new Subscription { NotificationUrl = _receiver.UrlFor("/api/other").ToString() }));

        Assert.Equal(400, error.ResponseStatusCode);
        Assert.Equal(_receiver.Url, _emulator.Control.Subscriptions.Single().NotificationUrl);
    }

    [Fact]
    public async Task Http_notification_url_off_loopback_is_refused()
    {
        var subscription = NewSubscription(MessagesPath);
        subscription.NotificationUrl = "http://webhooks.example.net/api/notifications";

        var error = await Assert.ThrowsAsync<ODataError>(() => _emulator.Graph.Subscriptions.PostAsync(subscription));

        Assert.Equal(400, error.ResponseStatusCode);
        Assert.Contains("HTTPS", error.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_resource_is_refused()
    {
        var error = await Assert.ThrowsAsync<ODataError>(() => _emulator.Graph.Subscriptions.PostAsync(NewSubscription("users/x/unknownThings")));

        Assert.Equal(400, error.ResponseStatusCode);
    }

    [Fact]
    public async Task Patch_renews_and_cannot_change_the_lifecycle_url()
    {
        var created = await _emulator.Graph.Subscriptions.PostAsync(NewSubscription(MessagesPath));
        var newExpiry = DateTimeOffset.UtcNow.AddDays(2);

        var renewed = await _emulator.Graph.Subscriptions[created!.Id].PatchAsync(new Subscription { ExpirationDateTime = newExpiry });
        var error = await Assert.ThrowsAsync<ODataError>(() =>
            _emulator.Graph.Subscriptions[created.Id].PatchAsync(new Subscription { LifecycleNotificationUrl = _receiver.UrlFor("/api/lifecycle").ToString() }));
        var tooFar = await Assert.ThrowsAsync<ODataError>(() =>
            _emulator.Graph.Subscriptions[created.Id].PatchAsync(new Subscription { ExpirationDateTime = DateTimeOffset.UtcNow.AddDays(8) }));

        Assert.InRange(renewed!.ExpirationDateTime!.Value, newExpiry.AddSeconds(-1), newExpiry.AddSeconds(1));
        Assert.Equal(400, error.ResponseStatusCode);
        Assert.Contains("lifecycleNotificationUrl", error.Error!.Message, StringComparison.Ordinal);
        Assert.Equal(400, tooFar.ResponseStatusCode);
    }

    [Fact]
    public async Task Reauthorize_answers_and_delete_removes()
    {
        var created = await _emulator.Graph.Subscriptions.PostAsync(NewSubscription(MessagesPath));

        await _emulator.Graph.Subscriptions[created!.Id].Reauthorize.PostAsync();
        await _emulator.Graph.Subscriptions[created.Id].DeleteAsync();

        var error = await Assert.ThrowsAsync<ODataError>(() => _emulator.Graph.Subscriptions[created.Id].GetAsync());
        Assert.Equal(404, error.ResponseStatusCode);
    }

    [Fact]
    public async Task Subscription_deleted_behind_the_back_gives_404_on_renewal()
    {
        var created = await _emulator.Graph.Subscriptions.PostAsync(NewSubscription(MessagesPath));

        Assert.True(_emulator.Control.DeleteSubscriptionSilently(Guid.Parse(created!.Id!)));
        var error = await Assert.ThrowsAsync<ODataError>(() =>
            _emulator.Graph.Subscriptions[created.Id].PatchAsync(new Subscription { ExpirationDateTime = DateTimeOffset.UtcNow.AddDays(1) }));

        Assert.Equal(404, error.ResponseStatusCode);
    }

    private Subscription NewSubscription(string resource, bool lifecycle = false) => new()
    {
        ChangeType = resource.StartsWith("users/", StringComparison.Ordinal) || resource.StartsWith("teams/", StringComparison.Ordinal) ? "created,updated" : "updated",
        NotificationUrl = _receiver.Url.ToString(),
        LifecycleNotificationUrl = lifecycle ? _receiver.UrlFor("/api/lifecycle").ToString() : null,
        Resource = resource,
        ExpirationDateTime = DateTimeOffset.UtcNow.AddMinutes(55),
        ClientState = "secret-state",
    };
}
