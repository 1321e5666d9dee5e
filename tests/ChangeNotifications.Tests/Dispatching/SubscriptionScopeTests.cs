using System.Net;
using ChangeNotifications.GraphEmulator.Tenant;
using ChangeNotifications.Inbox;
using ChangeNotifications.Resources;
using ChangeNotifications.Tests.Handlers;
using ChangeNotifications.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace ChangeNotifications.Tests.Dispatching;

/// <summary>
/// A notification carrying a subscription's clientState may only touch what that subscription covers: items whose
/// resource is another user's mailbox, another type's (a print task, which its handler PATCHes), or a path with
/// <c>..</c> or an empty id are stored (they are authenticated), then dead-lettered with the reason and a security
/// warning, and no handler (so no Graph call) sees them.
/// </summary>
public sealed class SubscriptionScopeTests : IDisposable
{
    private static readonly string MailResource = $"/users/{SeedIds.UserId}/messages";
    private readonly RecordingHandler _mail = new(ResourceType.Message);
    private readonly RecordingHandler _printTasks = new(ResourceType.PrintTaskDefinition);
    private readonly ServiceFactory _service;

    public SubscriptionScopeTests()
    {
        _service = new ServiceFactory().WithHandler(_mail).WithHandler(_printTasks);
    }

    public void Dispose() => _service.Dispose();

    public static TheoryData<string, string> Outside => new()
    {
        { $"Users/{SeedIds.SecondUserId}/Messages/AAMkAGI1", "outside the subscription's resource" },
        { $"print/taskDefinitions/{SeedIds.PrintTaskDefinitionId}/tasks/task-1", "is of type PrintTaskDefinition, not Message" },
        { $"Users/{SeedIds.UserId}/Messages/../../{SeedIds.SecondUserId}/Messages/AAMkAGI1", "a '..' segment" },
        { $"Users/{SeedIds.UserId}/Messages/%2e%2e", "a '..' segment" },
        { $"Users/{SeedIds.UserId}/Messages/.", "a '.' segment" },
        { $"Users//Messages/AAMkAGI1", "an empty segment or id" },
        { $"Users/{SeedIds.UserId}/Messages('')", "an empty segment or id" },
        { $"Users/{SeedIds.UserId}/Photos/1", "none of the 14 resource types" },
    };

    [Theory]
    [MemberData(nameof(Outside))]
    public async Task Item_outside_its_subscription_is_dead_lettered_with_a_security_warning_and_never_handled(string resource, string reason)
    {
        var sub = _service.Subscriptions.Add(MailResource);
        var inside = Payloads.Item(sub, messageId: "AAMkAGI0");
        var outside = Payloads.Item(sub, messageId: "AAMkAGI1").Replace(
            $"\"resource\": \"Users/5b0c9a6d-1e2f-4a3b-8c4d-9e0f1a2b3c4d/Messages/AAMkAGI1\"", $"\"resource\": \"{resource}\"", StringComparison.Ordinal);
        Assert.Contains(resource, outside, StringComparison.Ordinal);

        var response = await _service.CreateClient().PostAsync("/api/notifications", Payloads.Json(Payloads.Batch(inside, outside)));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(2, await _service.Dispatcher.RunOnceAsync(default));

        Assert.Equal("AAMkAGI0", Assert.Single(_mail.Handled).ResourceId);
        Assert.Equal(1, _mail.Calls);
        Assert.Equal(0, _printTasks.Calls);
        var dead = Assert.Single(await _service.Inbox.ListDeadLettersAsync(10, default));
        Assert.Contains(resource, dead.Payload, StringComparison.Ordinal);
        Assert.Contains(reason, dead.LastError, StringComparison.Ordinal);
        Assert.Equal(1, dead.Attempts);

        var records = _service.Logs.GetSnapshot();
        var warning = Assert.Single(records, r => r.Id.Id == 7100);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Equal(resource, warning.Prop("Resource"));
        Assert.Equal(MailResource, warning.Prop("SubscriptionResource"));
        Assert.Equal(sub.GraphId.ToString(), warning.Prop("SubscriptionId"));
        Assert.Equal(dead.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), warning.Prop("InboxId"));
        Assert.Contains(reason, warning.Prop("Reason"), StringComparison.Ordinal);
        Assert.DoesNotContain(records, r => r.Message.Contains(sub.ClientState, StringComparison.Ordinal)
            || (r.StructuredState ?? []).Any(p => p.Value?.Contains(sub.ClientState, StringComparison.Ordinal) == true));
    }

    [Fact]
    public async Task Me_path_of_a_subscribed_user_reaches_the_handler_as_that_user()
    {
        var sub = _service.Subscriptions.Add(MailResource);
        var item = Payloads.Item(sub, messageId: "AAMkAGI2").Replace(
            $"\"resource\": \"Users/{SeedIds.UserId}/Messages/AAMkAGI2\"", "\"resource\": \"/me/messages/AAMkAGI2\"", StringComparison.Ordinal);

        await _service.CreateClient().PostAsync("/api/notifications", Payloads.Json(Payloads.Batch(item)));
        await _service.Dispatcher.RunOnceAsync(default);

        var handled = Assert.Single(_mail.Handled);
        Assert.Equal(SeedIds.UserId, handled.Resource.IdAfter("users"));
        Assert.Equal("AAMkAGI2", handled.Resource.LastIdAfter("messages"));
    }

    [Fact]
    public async Task Item_of_a_subscription_no_longer_in_the_store_is_dead_lettered_not_handled()
    {
        var sub = _service.Subscriptions.Add(MailResource);
        await _service.CreateClient().PostAsync("/api/notifications", Payloads.Json(Payloads.Batch(Payloads.Item(sub))));
        await _service.Subscriptions.DeleteAsync(sub.Key, default);

        await _service.Dispatcher.RunOnceAsync(default);

        Assert.Equal(0, _mail.Calls);
        Assert.Contains("no longer known", Assert.Single(await _service.Inbox.ListDeadLettersAsync(10, default)).LastError, StringComparison.Ordinal);
        Assert.Single(_service.Logs.GetSnapshot(), r => r.Id.Id == 7101);
    }
}
