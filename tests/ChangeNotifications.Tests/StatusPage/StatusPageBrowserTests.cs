using System.Text.Json;
using ChangeNotifications.GraphEmulator.Tenant;
using ChangeNotifications.Resources;
using ChangeNotifications.StatusPage;
using ChangeNotifications.Tests.Infrastructure;
using ChangeNotifications.Tests.Subscriptions;
using Microsoft.Playwright;

namespace ChangeNotifications.Tests.StatusPage;

/// <summary>
/// The status page in real headless Chromium against the service in Emulator mode: the real OpenID Connect handler
/// (Microsoft.Identity.Web) signs in through the emulator's form, the page shows the subscriptions, the dispatcher's
/// stream and the dead letters, and its replay button gets a dead letter handled.
/// </summary>
public sealed class StatusPageBrowserTests
{
    /// <summary>Set to regenerate the README's screenshot (<c>docs/status-page.png</c>) from this test.</summary>
    public const string ScreenshotVariable = "STATUS_PAGE_SCREENSHOT";

    private static readonly LocatorAssertionsToHaveCountOptions Patience = new() { Timeout = 30_000 };

    [ChromiumFact]
    public async Task An_admin_signs_in_sees_notifications_arrive_and_replays_a_dead_letter()
    {
        var messages = new RecordingHandler(ResourceType.Message) { FailPermanently = true };
        await using var service = new StatusPageService(messages);
        await service.SubscriptionsActiveAsync();
        var page = await service.SignInAsync("adele@contoso.example");

        await Assertions.Expect(page.Locator("#stream")).ToHaveTextAsync("live", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#user")).ToHaveTextAsync("adele@contoso.example");
        await Assertions.Expect(page.Locator("#subscriptions tbody tr")).ToHaveCountAsync(14, Patience);

        await TriggerChangeAsync(service, $"/users/{SeedIds.UserId}/mailFolders('inbox')/messages");
        var deadLetter = page.Locator("#dead-letters tbody tr");
        await Assertions.Expect(deadLetter).ToHaveCountAsync(1, Patience);
        await Assertions.Expect(page.Locator("#notifications li.deadLettered")).ToHaveCountAsync(1, Patience);
        var id = await deadLetter.GetAttributeAsync("data-id");

        await TriggerChangeAsync(service, "/users");
        await Assertions.Expect(page.Locator("#notifications li.handled")).ToHaveCountAsync(1, Patience);

        messages.FailPermanently = false;
        await deadLetter.Locator("button.replay").ClickAsync();
        await Assertions.Expect(page.Locator($"#notifications li.handled[data-id='{id}']")).ToHaveCountAsync(1, Patience);
        await Assertions.Expect(deadLetter).ToHaveCountAsync(0, Patience);
        Assert.Single(messages.Handled);
        var replayed = Assert.Single(service.Logs.GetSnapshot(), l => l.Id.Id == 8201);
        Assert.Equal("adele@contoso.example", replayed.Property("User"));
        Assert.Equal(id, replayed.Property("InboxId"));

        await SaveScreenshotAsync(page);
    }

    [ChromiumFact]
    public async Task A_person_without_the_role_is_refused_and_the_page_cookie_opens_no_admin_route()
    {
        await using var service = new StatusPageService();
        var page = await service.SignInAsync("megan@contoso.example");
        await Assertions.Expect(page.Locator("body")).ToContainTextAsync("needs the app role ChangeNotifications.Admin", new() { Timeout = 30_000 });
        var status = await page.APIRequest.GetAsync(new Uri(service.BaseAddress, "/status/api/subscriptions").ToString(), new() { MaxRedirects = 0 });
        Assert.Equal(403, status.Status);

        var admin = await service.SignInAsync("adele@contoso.example");
        await Assertions.Expect(admin.Locator("#stream")).ToHaveTextAsync("live", new() { Timeout = 30_000 });
        var api = await admin.APIRequest.GetAsync(new Uri(service.BaseAddress, "/api/admin/subscriptions").ToString());
        Assert.Equal(401, api.Status);
    }

    /// <summary>A change under the subscription of <paramref name="resource"/>, through the emulator's control endpoint.</summary>
    private static async Task TriggerChangeAsync(StatusPageService service, string resource)
    {
        var emulator = await service.EmulatorAsync();
        var subscription = emulator.Control.Subscriptions.Single(s => s.Resource == resource);
        using var http = new HttpClient(emulator.CreateTrustingHandler()) { BaseAddress = emulator.BaseAddress };
        using var response = await http.PostAsync(new Uri($"_emulator/changes?subscriptionId={subscription.Id}&changeType=updated", UriKind.Relative), null);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        Assert.Equal(1, JsonDocument.Parse(body).RootElement.GetProperty("queued").GetInt32());
        await emulator.Control.DeliverDueAsync();
    }

    /// <summary>One screenshot in the test's output folder always; the README's when <see cref="ScreenshotVariable"/> is set.</summary>
    private static async Task SaveScreenshotAsync(IPage page)
    {
        var output = Path.Combine(AppContext.BaseDirectory, "artifacts", "status-page.png");
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        await page.ScreenshotAsync(new() { Path = output, FullPage = true });
        Assert.True(new FileInfo(output).Length > 0);
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(ScreenshotVariable)))
        {
            var root = new DirectoryInfo(AppContext.BaseDirectory);
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "ChangeNotifications.sln")))
            {
                root = root.Parent;
            }

            File.Copy(output, Path.Combine(root!.FullName, "docs", "status-page.png"), overwrite: true);
        }
    }
}
