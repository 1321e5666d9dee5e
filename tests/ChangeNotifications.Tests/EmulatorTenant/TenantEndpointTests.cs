using System.Net;
using System.Text.Json.Nodes;
using ChangeNotifications.GraphEmulator.Tenant;
using Microsoft.Graph.Models.ODataErrors;

namespace ChangeNotifications.Tests.EmulatorTenant;

/// <summary>The tenant's HTTP surface: the JSON shapes, paging and errors Graph gives, raw and through the SDK.</summary>
public sealed class TenantEndpointTests : IClassFixture<TenantHost>
{
    private readonly TenantHost _host;

    public TenantEndpointTests(TenantHost host)
    {
        _host = host;
        _host.Reset(deltaPageSize: 2);
    }

    private async Task<(HttpStatusCode Status, JsonObject Body)> GetAsync(string relative)
    {
        using var response = await _host.Http.GetAsync(new Uri(relative.StartsWith("http", StringComparison.Ordinal) ? relative : $"{_host.BaseUrl}/{relative}"));
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    [Fact]
    public async Task Select_returns_only_the_selected_properties_and_the_id()
    {
        var (status, body) = await GetAsync($"users/{SeedIds.UserId}?$select=displayName,jobTitle");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["displayName", "id", "jobTitle"], body.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("Adele Vance", (string?)body["displayName"]);
    }

    [Fact]
    public async Task Unknown_id_is_404_in_Graphs_error_shape_and_the_SDK_raises_ODataError()
    {
        var (status, body) = await GetAsync($"users/{SeedIds.UserId}/messages/nope");

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("ErrorItemNotFound", (string?)body["error"]!["code"]);
        Assert.NotNull(body["error"]!["innerError"]!["request-id"]);

        var error = await Assert.ThrowsAsync<ODataError>(() => _host.Graph.Users["00000000-0000-0000-0000-000000000000"].GetAsync());
        Assert.Equal(404, error.ResponseStatusCode);
        Assert.Equal("Request_ResourceNotFound", error.Error?.Code);
    }

    [Fact]
    public async Task A_segment_Graph_does_not_know_is_400_like_Graph()
    {
        var (status, body) = await GetAsync($"users/{SeedIds.UserId}/widgets");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("Resource not found for the segment 'widgets'.", (string?)body["error"]!["message"]);
    }

    [Fact]
    public async Task Delta_with_token_latest_returns_no_items_and_a_link_that_returns_only_later_changes()
    {
        var (_, first) = await GetAsync($"drives/{SeedIds.DriveId}/root/delta?token=latest");
        Assert.Empty(first["value"]!.AsArray());
        var link = (string)first["@odata.deltaLink"]!;
        Assert.StartsWith(_host.BaseUrl, link, StringComparison.Ordinal);

        _host.Tenant.MakeChange($"drives/{SeedIds.DriveId}/root", "updated");
        var (_, second) = await GetAsync(link);

        var item = Assert.Single(second["value"]!.AsArray())!;
        Assert.StartsWith("Notes", (string?)item["name"], StringComparison.Ordinal);
        Assert.NotNull(second["@odata.deltaLink"]);
    }

    [Fact]
    public async Task A_delta_link_another_tenant_instance_issued_is_410_Gone_with_a_location_that_starts_over()
    {
        var (_, first) = await GetAsync($"drives/{SeedIds.DriveId}/root/delta?token=latest&$select=id,name");
        var link = (string)first["@odata.deltaLink"]!;
        _host.Reset(deltaPageSize: 2); // a new emulator run: same seed, unknown tokens

        using var response = await _host.Http.GetAsync(new Uri(link));

        Assert.Equal(HttpStatusCode.Gone, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("resyncRequired", (string?)body["error"]!["code"]);
        Assert.Equal($"{_host.BaseUrl}/drives/{SeedIds.DriveId}/root/delta?%24select=id%2Cname", response.Headers.Location?.OriginalString);
        Assert.Equal(1, _host.Tenant.RefusedDeltaLinks);
        var (status, fresh) = await GetAsync(response.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.NotEmpty(fresh["value"]!.AsArray());
    }

    [Fact]
    public async Task Expired_delta_links_answer_410_and_links_issued_afterwards_work()
    {
        var (_, first) = await GetAsync($"drives/{SeedIds.DriveId}/root/delta?token=latest");
        Assert.Equal(1, _host.Control.ExpireDeltaLinks($"drives/{SeedIds.DriveId}/root"));
        Assert.Equal(0, _host.Control.ExpireDeltaLinks("users/nobody/widgets"));

        using var gone = await _host.Http.GetAsync(new Uri((string)first["@odata.deltaLink"]!));
        var (_, again) = await GetAsync($"drives/{SeedIds.DriveId}/root/delta?token=latest");
        var (status, _) = await GetAsync((string)again["@odata.deltaLink"]!);

        Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
        Assert.Equal(HttpStatusCode.OK, status);
        var error = await Assert.ThrowsAsync<ODataError>(() => _host.Graph.Drives[SeedIds.DriveId].Items["root"].Delta.WithUrl((string)first["@odata.deltaLink"]!).GetAsDeltaGetResponseAsync());
        Assert.Equal(410, error.ResponseStatusCode);
        Assert.Equal("resyncRequired", error.Error?.Code);
    }

    [Fact]
    public async Task Full_delta_pages_with_next_links_then_ends_with_a_delta_link()
    {
        var response = await _host.Graph.Users.Delta.GetAsDeltaGetResponseAsync();
        var seen = new List<string?>(response!.Value!.Select(u => u.Id));
        var pages = 1;
        while (response!.OdataNextLink is { } next)
        {
            response = await _host.Graph.Users.Delta.WithUrl(next).GetAsDeltaGetResponseAsync();
            seen.AddRange(response!.Value!.Select(u => u.Id));
            pages++;
        }

        Assert.Contains(SeedIds.UserId, seen);
        Assert.Contains(SeedIds.SecondUserId, seen);
        Assert.NotNull(response.OdataDeltaLink);

        _host.Tenant.MakeChange("users", "created");
        _host.Tenant.MakeChange("users", "created");
        _host.Tenant.MakeChange("users", "created");
        var later = await _host.Graph.Users.Delta.WithUrl(response.OdataDeltaLink).GetAsDeltaGetResponseAsync();
        Assert.Equal(2, later!.Value!.Count);
        Assert.NotNull(later.OdataNextLink);
    }

    [Fact]
    public async Task Removed_directory_objects_carry_the_removed_annotation_and_drive_items_the_deleted_facet()
    {
        _host.Tenant.MakeChange("users", "created");
        var (_, users) = await GetAsync("users/delta?$deltatoken=latest");
        var (_, drive) = await GetAsync($"drives/{SeedIds.DriveId}/items/root/delta?token=latest");
        Assert.NotNull(_host.Tenant.MakeChange("users", "deleted"));
        for (var i = 0; i < 4; i++)
        {
            _host.Tenant.MakeChange($"drives/{SeedIds.DriveId}/root", "updated");
        }

        var (_, userChanges) = await GetAsync((string)users["@odata.deltaLink"]!);
        Assert.Equal("deleted", (string?)userChanges["value"]![0]!["@removed"]!["reason"]);

        var driveItems = new List<JsonNode?>();
        var url = (string)drive["@odata.deltaLink"]!;
        while (true)
        {
            var (_, page) = await GetAsync(url);
            driveItems.AddRange(page["value"]!.AsArray());
            if ((string?)page["@odata.nextLink"] is not { } next)
            {
                break;
            }

            url = next;
        }

        Assert.Contains(driveItems, i => (string?)i!["deleted"]?["state"] == "deleted");
    }

    [Fact]
    public async Task Print_task_patch_to_completed_is_stored()
    {
        var change = _host.Tenant.MakeChange($"print/taskDefinitions/{SeedIds.PrintTaskDefinitionId}/tasks", "created")!;
        var task = _host.Graph.Print.TaskDefinitions[SeedIds.PrintTaskDefinitionId].Tasks[change.ResourceId];

        await task.PatchAsync(new Microsoft.Graph.Models.PrintTask
        {
            Status = new Microsoft.Graph.Models.PrintTaskStatus { State = Microsoft.Graph.Models.PrintTaskProcessingState.Completed },
        });

        Assert.Equal(Microsoft.Graph.Models.PrintTaskProcessingState.Completed, (await task.GetAsync())!.Status!.State);
    }

    [Fact]
    public async Task Patch_elsewhere_is_refused_and_changes_nothing()
    {
        using var content = new StringContent("""{"displayName":"Hacked"}""", System.Text.Encoding.UTF8, "application/json");
        using var response = await _host.Http.PatchAsync(new Uri($"{_host.BaseUrl}/users/{SeedIds.UserId}"), content);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("Adele Vance", (string?)_host.Tenant.Find($"users/{SeedIds.UserId}")!["displayName"]);
    }

    [Fact]
    public async Task List_items_carry_fields_only_when_expanded()
    {
        var items = _host.Graph.Sites[SeedIds.SiteId].Lists[SeedIds.ListId].Items;

        var plain = await items.GetAsync();
        var expanded = await items.GetAsync(r => r.QueryParameters.Expand = ["fields"]);

        Assert.All(plain!.Value!, i => Assert.Null(i.Fields));
        Assert.All(expanded!.Value!, i => Assert.NotNull(i.Fields));
    }
}
