using ChangeNotifications.Resources;

namespace ChangeNotifications.Tests.Resources;

public sealed class ResourceTypeResolverTests
{
    public static TheoryData<string, ResourceType> Paths => new()
    {
        // subscription resource paths, in the forms Graph accepts
        { "/print/printers/1b2c3d4e/jobs", ResourceType.Printer },
        { "print/printers/1b2c3d4e/jobs/42", ResourceType.Printer },
        { "/print/taskDefinitions/2c3d/tasks", ResourceType.PrintTaskDefinition },
        { "/print/printtaskdefinition/2c3d/tasks", ResourceType.PrintTaskDefinition },
        { "/users/5b0c/messages", ResourceType.Message },
        { "/users/5b0c/mailFolders('inbox')/messages", ResourceType.Message },
        { "me/mailFolders('Inbox')/messages", ResourceType.Message },
        { "/me/messages", ResourceType.Message },
        { "/users/5b0c/events", ResourceType.Event },
        { "/me/events", ResourceType.Event },
        { "/users/5b0c/contacts", ResourceType.Contact },
        { "/me/contacts", ResourceType.Contact },
        { "/users", ResourceType.User },
        { "users", ResourceType.User },
        { "/users/5b0c", ResourceType.User },
        { "/me", ResourceType.User },
        { "/groups", ResourceType.Group },
        { "/groups/8e3f", ResourceType.Group },
        { "/groups/8e3f/owners", ResourceType.Group },
        { "/groups/8e3f/members", ResourceType.Group },
        { "/groups/8e3f/conversations", ResourceType.Conversation },
        { "/users/5b0c/drive/root", ResourceType.DriveItem },
        { "/me/drive/root", ResourceType.DriveItem },
        { "/drives/b!abc/root", ResourceType.DriveItem },
        { "/sites/contoso.sharepoint.com,1a2b,3c4d/lists/0a1b", ResourceType.List },
        { "/security/alerts/alert-1", ResourceType.Alert },
        { "/security/alerts?$filter=status eq 'New'", ResourceType.Alert },
        { "security/alerts", ResourceType.Alert },
        { "/communications/callRecords", ResourceType.CallRecord },
        { "/teams/getAllMessages", ResourceType.ChatMessage },
        { "/teams/9f4a/channels/19:general@thread.tacv2/messages", ResourceType.ChatMessage },
        { "/chats/getAllMessages", ResourceType.ChatMessage },
        { "/chats/19:abc@thread.v2/messages", ResourceType.ChatMessage },
        // notification resource paths as Graph sends them (GUID form, parentheses form)
        { "Users/5b0c9a6d-1e2f-4a3b-8c4d-9e0f1a2b3c4d/Messages/AAMkAGI1AAA=", ResourceType.Message },
        { "Users/5b0c/Events/AAMkAGI2", ResourceType.Event },
        { "Users/5b0c/Contacts/AAMkAGI3", ResourceType.Contact },
        { "Users/5b0c9a6d-1e2f-4a3b-8c4d-9e0f1a2b3c4d", ResourceType.User },
        { "Groups/8e3f2d9a", ResourceType.Group },
        { "groups('8e3f')/conversations('AAQk')", ResourceType.Conversation },
        { "teams('9f4a')/channels('19:general@thread.tacv2')/messages('1616990032035')", ResourceType.ChatMessage },
        { "teams('9f4a')/channels('19:general@thread.tacv2')/messages('1616990032035')/replies('1616990039999')", ResourceType.ChatMessage },
        { "chats('19:abc@thread.v2')/messages('1616990032035')", ResourceType.ChatMessage },
        { "communications/callRecords/e523d2ed-2966-4b6b-925b-754a88034cc5", ResourceType.CallRecord },
        { "print/printers/1b2c/jobs/42", ResourceType.Printer },
        { "print/taskDefinitions/2c3d/tasks/8f1a", ResourceType.PrintTaskDefinition },
        { "drives/b!abc/root", ResourceType.DriveItem },
        { "sites/contoso.sharepoint.com,1a2b,3c4d/lists/0a1b", ResourceType.List },
        { "security/alerts/alert-1", ResourceType.Alert },
        { "https://graph.microsoft.com/v1.0/users/5b0c/messages", ResourceType.Message },
    };

    [Theory]
    [MemberData(nameof(Paths))]
    public void Resolves_every_resource_path_form(string path, ResourceType expected) =>
        Assert.Equal(expected, ResourceTypeResolver.Resolve(path));

    [Theory]
    [InlineData("/users/5b0c/photos")]
    [InlineData("/sites/abc")]
    [InlineData("/teams/9f4a")]
    [InlineData("")]
    public void Unknown_paths_are_unknown(string path) =>
        Assert.Equal(ResourceType.Unknown, ResourceTypeResolver.Resolve(path));

    [Fact]
    public void Falls_back_to_the_odata_type()
    {
        Assert.Equal(ResourceType.Message, ResourceTypeResolver.Resolve("something/odd", "#Microsoft.Graph.Message"));
        Assert.Equal(ResourceType.ChatMessage, ResourceTypeResolver.Resolve(null, "#microsoft.graph.chatMessage"));
    }

    [Fact]
    public void Me_paths_are_marked_delegated()
    {
        Assert.True(ResourcePath.Parse("/me/mailFolders('inbox')/messages").IsMe);
        Assert.False(ResourcePath.Parse("/users/5b0c/messages").IsMe);
    }

    [Fact]
    public void Ids_are_read_from_both_path_forms()
    {
        var path = ResourcePath.Parse("teams('9f4a')/channels('19:general@thread.tacv2')/messages('1616990032035')");
        Assert.Equal("9f4a", path.IdAfter("teams"));
        Assert.Equal("19:general@thread.tacv2", path.IdAfter("channels"));
        Assert.Equal("1616990032035", path.LastIdAfter("messages"));
        Assert.Equal("inbox", ResourcePath.Parse("/users/u/mailFolders('inbox')/messages").IdAfter("mailfolders"));
        Assert.Equal("status eq 'New'", Uri.UnescapeDataString(ResourcePath.Parse("/security/alerts?$filter=status eq 'New'").Query!).Replace("$filter=", "", StringComparison.Ordinal));
    }
}
