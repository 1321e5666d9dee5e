using ChangeNotifications.Resources;
using ChangeNotifications.Subscriptions;

namespace ChangeNotifications.Tests.Subscriptions;

public class ResourceCatalogTests
{
    private readonly ResourceCatalog _catalog = new();

    [Fact]
    public void Every_row_of_Graphs_table_is_found_for_its_path()
    {
        foreach (var (row, resource, changeType) in SubscriptionTestPaths.AllFourteen)
        {
            var entry = _catalog.Find(ResourcePath.Parse(resource));
            Assert.True(entry is not null, $"{resource} not found");
            Assert.Equal(row, entry.Name);
            Assert.All(DesiredSubscription.SplitChangeTypes(changeType), c => Assert.Contains(c, entry.AllowedChangeTypes));
        }

        Assert.Equal(14, _catalog.Entries.Count);
    }

    [Theory]
    [InlineData("/users/u1/messages", 10_080, 1_440)]
    [InlineData("/users/u1/drive/root", 42_300, null)]
    [InlineData("/users", 41_760, null)]
    [InlineData("/teams/getAllMessages", 4_320, 4_320)]
    [InlineData("/print/printers/p1/jobs", 4_230, null)]
    [InlineData("/security/alerts", 43_200, null)]
    public void Limits_follow_the_protocol_table(string resource, int maxMinutes, int? richMinutes)
    {
        var entry = _catalog.Find(ResourcePath.Parse(resource))!;
        Assert.Equal(TimeSpan.FromMinutes(maxMinutes), entry.MaxLifetime);
        Assert.Equal(richMinutes is null ? null : TimeSpan.FromMinutes(richMinutes.Value), entry.MaxLifetimeWithResourceData);
    }

    [Fact]
    public void OneDrive_for_Business_allows_the_root_only_personal_any_folder()
    {
        Assert.Equal(ResourceCatalog.DriveItemBusiness, _catalog.Find(ResourcePath.Parse("/drives/b!x/root"))?.Name);
        Assert.Null(_catalog.Find(ResourcePath.Parse("/drives/b!x/items/folder1")));
        Assert.Equal(ResourceCatalog.DriveItemPersonal, _catalog.Find(ResourcePath.Parse("/users/u1/drive/items/folder1"))?.Name);
    }

    [Fact]
    public void Only_Teams_needs_a_lifecycle_url_beyond_an_hour()
    {
        var needing = _catalog.Entries.Where(e => e.LifecycleUrlRequiredBeyond is not null).Select(e => e.Name);
        Assert.Equal(["ChatMessage"], needing);
    }

    [Fact]
    public void Configured_maximum_lifetimes_replace_the_defaults()
    {
        var catalog = new ResourceCatalog(new Dictionary<string, TimeSpan>(StringComparer.OrdinalIgnoreCase)
        {
            ["message"] = TimeSpan.FromMinutes(4_230),
            ["MessageWithResourceData"] = TimeSpan.FromMinutes(60),
        });
        var entry = catalog.Find(ResourcePath.Parse("/users/u1/messages"))!;
        Assert.Equal(TimeSpan.FromMinutes(4_230), entry.MaxLifetime);
        Assert.Equal(TimeSpan.FromMinutes(60), entry.MaxLifetimeWithResourceData);
        Assert.Equal(TimeSpan.FromMinutes(10_080), catalog.Find(ResourcePath.Parse("/users/u1/events"))!.MaxLifetime);
    }
}
