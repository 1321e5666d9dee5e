using System.Text.Json.Nodes;
using ChangeNotifications.GraphEmulator.Tenant;

using ChangeNotifications.Tests.EmulatorTenant;

namespace ChangeNotifications.Tests.Handlers;

/// <summary>One change per resource type, made in the emulator, notified as Graph would, handled through the real
/// GraphServiceClient; assertions on the handler's structured log properties.</summary>
public sealed class HandlerTests(TenantHost host) : IClassFixture<TenantHost>, IAsyncLifetime
{
    private HandlerHarness _h = null!;

    public Task InitializeAsync()
    {
        _h = HandlerHarness.Start(host);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private static JsonObject Resource(EmulatedChange change) => JsonNode.Parse(change.ResourceJson!)!.AsObject();

    [Fact]
    public async Task Message_created_logs_subject_and_sender()
    {
        var change = await _h.NotifyAsync($"users/{SeedIds.UserId}/messages", "created");

        var line = _h.Line(5101);
        Assert.Equal("created", line.Prop("ChangeType"));
        Assert.Equal(change.ResourceId, line.Prop("MessageId"));
        Assert.Equal((string?)Resource(change)["subject"], line.Prop("Subject"));
        Assert.Equal("megan@contoso.example", line.Prop("From"));
    }

    [Fact]
    public async Task Message_in_inbox_folder_updated_logs_the_new_subject()
    {
        await _h.NotifyAsync($"users/{SeedIds.UserId}/mailFolders('inbox')/messages", "updated");

        Assert.Contains("(edited", _h.Line(5101).Prop("Subject"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Message_deleted_logs_the_id_without_fetching()
    {
        var change = await _h.NotifyAsync($"users/{SeedIds.UserId}/messages", "deleted");

        var line = _h.Line(5002);
        Assert.Equal("Message", line.Prop("ResourceType"));
        Assert.Equal(change.ResourceId, line.Prop("ResourceId"));
        Assert.Empty(_h.Lines(5101));
    }

    [Fact]
    public async Task Event_created_logs_subject_organizer_and_start()
    {
        var change = await _h.NotifyAsync($"users/{SeedIds.UserId}/events", "created");

        var line = _h.Line(5111);
        Assert.Equal(change.ResourceId, line.Prop("CalendarEventId"));
        Assert.StartsWith("Emulated meeting", line.Prop("Subject"), StringComparison.Ordinal);
        Assert.Equal("adele@contoso.example", line.Prop("Organizer"));
        Assert.EndsWith(" UTC", line.Prop("Start"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Contact_updated_logs_display_name()
    {
        var change = await _h.NotifyAsync($"users/{SeedIds.UserId}/contacts", "updated");

        var line = _h.Line(5121);
        Assert.Equal(change.ResourceId, line.Prop("ContactId"));
        Assert.Equal((string?)Resource(change)["displayName"], line.Prop("DisplayName"));
    }

    [Fact]
    public async Task User_updated_logs_name_and_new_job_title()
    {
        var change = await _h.NotifyAsync("users", "updated");

        var line = _h.Line(5131);
        Assert.Equal("updated", line.Prop("ChangeType"));
        Assert.Equal(change.ResourceId, line.Prop("UserId"));
        Assert.Equal((string?)Resource(change)["jobTitle"], line.Prop("JobTitle"));
        Assert.StartsWith("Engineer level", line.Prop("JobTitle"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Group_members_change_logs_group_and_member_count()
    {
        await _h.NotifyAsync($"groups/{SeedIds.GroupId}/members", "updated");

        var line = _h.Line(5141);
        Assert.Equal(SeedIds.GroupId, line.Prop("GroupId"));
        Assert.Equal("Project Falcon", line.Prop("DisplayName"));
        Assert.Equal("3", line.Prop("MemberCount"));
    }

    [Fact]
    public async Task Conversation_updated_logs_topic_and_latest_post_sender()
    {
        var change = await _h.NotifyAsync($"groups/{SeedIds.GroupId}/conversations", "updated");

        var line = _h.Line(5151);
        Assert.Equal(change.ResourceId, line.Prop("ConversationId"));
        Assert.Equal("Kick-off", line.Prop("Topic"));
        Assert.Contains("@contoso.example", line.Prop("LatestPostFrom"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData($"users/{SeedIds.UserId}/drive/root", SeedIds.UserDriveId)]
    [InlineData($"drives/{SeedIds.DriveId}/root", SeedIds.DriveId)]
    public async Task DriveItem_first_notification_takes_baseline_then_reports_each_later_change(string resource, string driveId)
    {
        await _h.NotifyAsync(resource, "updated");
        Assert.Single(_h.Lines(5001));
        Assert.Empty(_h.Lines(5161));

        var first = _h.Tenant.MakeChange(resource, "updated")!;
        await _h.NotifyAsync(resource, "updated");

        Assert.Null(first.ResourceId);
        var lines = _h.Lines(5161);
        Assert.Equal(2, lines.Count);
        Assert.All(lines, l => Assert.Equal(driveId, l.Prop("DriveId")));
        Assert.All(lines, l => Assert.StartsWith("/", l.Prop("Path"), StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Prop("Change") == "created" && l.Prop("Name")!.StartsWith("Notes", StringComparison.Ordinal));
    }

    [Fact]
    public async Task List_reports_created_updated_and_deleted_items_after_the_baseline()
    {
        var resource = $"sites/{SeedIds.SiteId}/lists/{SeedIds.ListId}";
        await _h.NotifyAsync(resource, "updated");
        for (var i = 0; i < 3; i++)
        {
            _h.Tenant.MakeChange(resource, "updated");
        }

        await _h.NotifyAsync(resource, "updated");

        var lines = _h.Lines(5171);
        Assert.True(lines.Count >= 3, $"expected at least 3 list items, got {lines.Count}");
        Assert.All(lines, l => Assert.Equal(SeedIds.ListId, l.Prop("ListId")));
        Assert.Contains(lines, l => l.Prop("Change") == "created" && l.Prop("Title")!.StartsWith("Issue", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Prop("Change") == "updated");
        Assert.Contains(lines, l => l.Prop("Change") == "deleted");
    }

    [Fact]
    public async Task Alert_updated_logs_severity_title_and_new_status()
    {
        var change = await _h.NotifyAsync("security/alerts?$filter=status eq 'newAlert'", "updated");

        var line = _h.Line(5181);
        Assert.Equal(change.ResourceId, line.Prop("AlertId"));
        Assert.Equal("High", line.Prop("Severity"));
        Assert.Equal("Suspicious sign-in", line.Prop("Title"));
        Assert.Equal("InProgress", line.Prop("Status"));
    }

    [Fact]
    public async Task CallRecord_created_logs_type_times_and_participant_count()
    {
        var change = await _h.NotifyAsync("communications/callRecords", "created");

        var line = _h.Line(5191);
        Assert.Equal(change.ResourceId, line.Prop("CallRecordId"));
        Assert.Equal("GroupCall", line.Prop("CallType"));
        Assert.Equal("2", line.Prop("ParticipantCount"));
        Assert.NotNull(line.Prop("StartedAt"));
        Assert.NotNull(line.Prop("EndedAt"));
    }

    [Fact]
    public async Task ChatMessage_in_channel_is_fetched_and_logged_with_trimmed_text()
    {
        var change = await _h.NotifyAsync($"teams/{SeedIds.TeamId}/channels/{SeedIds.ChannelId}/messages", "created");

        Assert.StartsWith($"teams('{SeedIds.TeamId}')/channels('{SeedIds.ChannelId}')/messages('", change.Resource, StringComparison.Ordinal);
        var line = _h.Line(5201);
        Assert.Equal(change.ResourceId, line.Prop("MessageId"));
        Assert.StartsWith("Emulated chat message", line.Prop("Text"), StringComparison.Ordinal);
        Assert.DoesNotContain("<p>", line.Prop("Text"), StringComparison.Ordinal);
        Assert.Equal("False", line.Prop("FromResourceData"));
    }

    [Fact]
    public async Task ChatMessage_with_resource_data_uses_the_decrypted_message()
    {
        var change = await _h.NotifyAsync($"chats/{SeedIds.ChatId}/messages", "updated", rich: true);

        var line = _h.Line(5201);
        Assert.Equal("True", line.Prop("FromResourceData"));
        Assert.Equal(change.ResourceId, line.Prop("MessageId"));
        Assert.StartsWith("Edited message", line.Prop("Text"), StringComparison.Ordinal);
        Assert.NotNull(line.Prop("Sender"));
    }

    [Fact]
    public async Task PrintJob_fetchable_logs_job_and_document_metadata()
    {
        var change = await _h.NotifyAsync($"print/printers/{SeedIds.PrinterId}/jobs", "updated");

        var line = _h.Line(5211);
        Assert.Equal(change.ResourceId, line.Prop("JobId"));
        Assert.Equal("Processing", line.Prop("JobState"));
        Assert.Equal("1", line.Prop("DocumentCount"));
        Assert.Equal("application/pdf", line.Prop("ContentType"));
        Assert.EndsWith(".pdf", line.Prop("DocumentName"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PrintTask_is_marked_completed_in_the_emulator()
    {
        var change = await _h.NotifyAsync($"print/taskDefinitions/{SeedIds.PrintTaskDefinitionId}/tasks", "created");

        var line = _h.Line(5221);
        Assert.Equal(change.ResourceId, line.Prop("TaskId"));
        Assert.Equal("Processing", line.Prop("PreviousState"));
        var task = _h.Tenant.Find(change.Resource)!;
        Assert.Equal("completed", (string?)task["status"]!["state"]);
    }

    [Fact]
    public async Task A_404_on_fetch_is_logged_and_not_thrown()
    {
        var change = new EmulatedChange($"Users/{SeedIds.UserId}/Messages/AAMkGone", "updated", "AAMkGone", "#Microsoft.Graph.Message", null, null, null);

        await _h.DeliverAsync(change, $"users/{SeedIds.UserId}/messages");

        var line = _h.Line(5003);
        Assert.Equal("Message", line.Prop("ResourceType"));
        Assert.Equal("ErrorItemNotFound", line.Prop("ErrorCode"));
        Assert.Empty(_h.Lines(5101));
    }

    [Fact]
    public async Task Other_Graph_errors_propagate_to_the_dispatcher()
    {
        var resource = $"drives/{SeedIds.DriveId}/root";
        await _h.DeltaLinks.SetAsync($"DriveItem:drives/{SeedIds.DriveId}/root", $"{_h.Host.BaseUrl}/drives/{SeedIds.DriveId}/items/root/delta?token=not-a-token", CancellationToken.None);

        var error = await Assert.ThrowsAsync<Microsoft.Graph.Models.ODataErrors.ODataError>(() => _h.NotifyAsync(resource, "updated"));
        Assert.Equal(400, error.ResponseStatusCode);
    }

    [Fact]
    public async Task A_server_error_propagates_so_the_dispatcher_retries()
    {
        var change = _h.Tenant.MakeChange($"users/{SeedIds.UserId}/events", "created")!;
        host.Control.FailNextRequests(1, 500);

        var error = await Assert.ThrowsAsync<Microsoft.Graph.Models.ODataErrors.ODataError>(() => _h.DeliverAsync(change, $"users/{SeedIds.UserId}/events"));

        Assert.Equal(500, error.ResponseStatusCode);
        Assert.Empty(_h.Lines(5003));
        await _h.DeliverAsync(change, $"users/{SeedIds.UserId}/events");
        Assert.Single(_h.Lines(5111));
    }

    [Fact]
    public async Task Nothing_secret_is_logged()
    {
        var rich = await _h.NotifyAsync($"chats/{SeedIds.ChatId}/messages", "created", rich: true);
        await _h.NotifyAsync($"users/{SeedIds.UserId}/messages", "created");
        var token = host.Http.DefaultRequestHeaders.Authorization!.Parameter!;

        var messages = _h.Logs.GetSnapshot().Select(r => r.Message).ToList();
        Assert.NotEmpty(messages);
        Assert.DoesNotContain(messages, m => m.Contains("not-logged", StringComparison.Ordinal));
        Assert.DoesNotContain(messages, m => m.Contains(token, StringComparison.Ordinal));
        Assert.DoesNotContain(messages, m => m.Contains(rich.ResourceJson!, StringComparison.Ordinal) || m.Contains("\"body\"", StringComparison.Ordinal));
    }
}
