using System.Text.Json.Nodes;

namespace ChangeNotifications.GraphEmulator.Tenant;

public sealed partial class EmulatedTenant
{
    private const int MessageKind = 0x6d61696c;
    private const int EventKind = 0x65766e74;
    private const int ContactKind = 0x636f6e74;
    private const int ConversationKind = 0x636f6e76;
    private const int DriveItemKind = 0x64726976;
    private const int AlertKind = 0x616c7274;
    private const int CallRecordKind = 0x63616c6c;
    private const int ChatMessageKind = 0x63686174;
    private const int PrintKind = 0x7072696e;
    private const int UserKind = 0x75736572;

    private static readonly (string Id, string Name, string Upn)[] People =
    [
        (SeedIds.UserId, "Adele Vance", "adele@contoso.example"),
        (SeedIds.SecondUserId, "Megan Bowen", "megan@contoso.example"),
    ];

    private const string InboxFolderId = "AAMkAGInbox0000";

    private void Seed()
    {
        foreach (var (id, name, upn) in People)
        {
            Add("users", User(id, name, upn, "Engineer"));
            Add($"users/{id}/mailfolders", new JsonObject { ["id"] = InboxFolderId, ["displayName"] = "Inbox", ["wellKnownName"] = "inbox" });
        }

        SeedMailbox(SeedIds.UserId);
        SeedDrive(SeedIds.UserDriveId, "personal", "OneDrive", SeedIds.UserId);
        SeedDrive(SeedIds.DriveId, "business", "Documents", null);
        SeedGroupAndTeam();
        SeedList();
        AddAlert("Suspicious sign-in", "high");
        AddCallRecord();
        Add("print/printers", new JsonObject
        {
            ["id"] = SeedIds.PrinterId, ["displayName"] = "Floor 2 printer", ["manufacturer"] = "Contoso", ["model"] = "LaserJet 9000", ["isShared"] = true,
        });
        Add("print/taskdefinitions", new JsonObject
        {
            ["id"] = SeedIds.PrintTaskDefinitionId, ["displayName"] = "Release on badge",
            ["createdBy"] = new JsonObject { ["appId"] = SeedIds.ClientId, ["displayName"] = "Pull print" },
        });
        AddPrintJob();
    }

    private void SeedMailbox(string userId)
    {
        AddMessage(userId, "Welcome to the emulated tenant", SeedIds.SecondUserId);
        AddMessage(userId, "Quarterly numbers", SeedIds.SecondUserId);
        AddEvent(userId, "Team sync");
        AddContact(userId, "Alex Wilber", "alex@fabrikam.example");
    }

    private void SeedDrive(string driveId, string driveType, string name, string? ownerId)
    {
        var rootId = $"{driveId}!root";
        _rootOfDrive[driveId] = rootId;
        if (ownerId is not null)
        {
            _driveOfUser[ownerId] = driveId;
        }

        Add("drives", new JsonObject
        {
            ["id"] = driveId, ["driveType"] = driveType, ["name"] = name,
            ["owner"] = ownerId is null ? null : new JsonObject { ["user"] = new JsonObject { ["id"] = ownerId, ["displayName"] = DisplayName(ownerId) } },
        });
        Add($"drives/{driveId}/items", new JsonObject
        {
            ["id"] = rootId, ["name"] = "root", ["root"] = new JsonObject(), ["folder"] = new JsonObject { ["childCount"] = 2 },
            ["createdDateTime"] = Now(), ["lastModifiedDateTime"] = Now(),
            ["parentReference"] = new JsonObject { ["driveId"] = driveId, ["driveType"] = driveType },
        }, DeltaRemovalStyle.DeletedFacet);
        var folder = AddDriveItem(driveId, "Projects", null, folder: true);
        AddDriveItem(driveId, "Budget.xlsx", null, folder: false);
        AddDriveItem(driveId, "Plan.docx", (string)folder["id"]!, folder: false);
    }

    private void SeedGroupAndTeam()
    {
        Add("groups", new JsonObject
        {
            ["id"] = SeedIds.GroupId, ["displayName"] = "Project Falcon", ["description"] = "Falcon project team",
            ["mailNickname"] = "falcon", ["mail"] = "falcon@contoso.example", ["mailEnabled"] = true, ["securityEnabled"] = false,
            ["groupTypes"] = new JsonArray("Unified"),
        });
        foreach (var (id, name, upn) in People)
        {
            Add($"groups/{SeedIds.GroupId}/members", DirectoryRef(id, name, upn));
        }

        Add($"groups/{SeedIds.GroupId}/owners", DirectoryRef(People[0].Id, People[0].Name, People[0].Upn));
        AddConversation("Kick-off", SeedIds.UserId);

        Add("teams", new JsonObject { ["id"] = SeedIds.TeamId, ["displayName"] = "Project Falcon" });
        Add($"teams/{SeedIds.TeamId}/channels", new JsonObject
        {
            ["id"] = SeedIds.ChannelId, ["displayName"] = "General", ["membershipType"] = "standard",
        });
        Add("chats", new JsonObject { ["id"] = SeedIds.ChatId, ["chatType"] = "group", ["topic"] = "Falcon stand-up" });
        AddChatMessage($"teams/{SeedIds.TeamId}/channels/{SeedIds.ChannelId}/messages", "Welcome to Falcon!", SeedIds.UserId);
        AddChatMessage($"chats/{SeedIds.ChatId}/messages", "Morning all", SeedIds.SecondUserId);
    }

    private void SeedList()
    {
        Add("sites", new JsonObject
        {
            ["id"] = SeedIds.SiteId, ["displayName"] = "Contoso", ["webUrl"] = "https://contoso.sharepoint.com",
        });
        Add($"sites/{SeedIds.SiteId}/lists", new JsonObject
        {
            ["id"] = SeedIds.ListId, ["displayName"] = "Issue tracker", ["list"] = new JsonObject { ["template"] = "genericList" },
        });
        AddListItem("Printer jams on floor 2");
        AddListItem("Wi-Fi drops in room 4");
    }

    private static JsonObject User(string id, string name, string upn, string jobTitle) => new()
    {
        ["id"] = id, ["displayName"] = name, ["userPrincipalName"] = upn, ["mail"] = upn, ["jobTitle"] = jobTitle,
        ["givenName"] = name.Split(' ')[0], ["surname"] = name.Split(' ')[^1],
    };

    private static JsonObject DirectoryRef(string id, string name, string upn) => new()
    {
        ["@odata.type"] = "#microsoft.graph.user", ["id"] = id, ["displayName"] = name, ["userPrincipalName"] = upn,
    };

    private string DisplayName(string userId) =>
        Collection("users")?.Find(userId)?["displayName"]?.GetValue<string>() ?? "Unknown user";

    private string Address(string userId) =>
        Collection("users")?.Find(userId)?["mail"]?.GetValue<string>() ?? "unknown@contoso.example";

    private JsonObject EmailAddress(string userId) =>
        new() { ["emailAddress"] = new JsonObject { ["name"] = DisplayName(userId), ["address"] = Address(userId) } };

    private JsonObject AddMessage(string userId, string subject, string fromUserId)
    {
        var now = Now();
        var version = _version + 1;
        return Add($"users/{userId}/messages", new JsonObject
        {
            ["@odata.etag"] = ETag(version), ["id"] = NewId(MessageKind), ["createdDateTime"] = now, ["lastModifiedDateTime"] = now,
            ["receivedDateTime"] = now, ["sentDateTime"] = now, ["subject"] = subject, ["bodyPreview"] = subject,
            ["importance"] = "normal", ["parentFolderId"] = InboxFolderId, ["isRead"] = false,
            ["body"] = new JsonObject { ["contentType"] = "text", ["content"] = subject },
            ["from"] = EmailAddress(fromUserId), ["sender"] = EmailAddress(fromUserId),
            ["toRecipients"] = new JsonArray(EmailAddress(userId)),
        });
    }

    private JsonObject AddEvent(string userId, string subject)
    {
        var start = _time.GetUtcNow().AddDays(1);
        return Add($"users/{userId}/events", new JsonObject
        {
            ["@odata.etag"] = ETag(_version + 1), ["id"] = NewId(EventKind), ["subject"] = subject,
            ["createdDateTime"] = Now(), ["lastModifiedDateTime"] = Now(),
            ["organizer"] = EmailAddress(userId),
            ["start"] = new JsonObject { ["dateTime"] = start.ToString("yyyy-MM-ddTHH:mm:ss.0000000", System.Globalization.CultureInfo.InvariantCulture), ["timeZone"] = "UTC" },
            ["end"] = new JsonObject { ["dateTime"] = start.AddHours(1).ToString("yyyy-MM-ddTHH:mm:ss.0000000", System.Globalization.CultureInfo.InvariantCulture), ["timeZone"] = "UTC" },
            ["location"] = new JsonObject { ["displayName"] = "Room 4" },
        });
    }

    private JsonObject AddContact(string userId, string name, string address) =>
        Add($"users/{userId}/contacts", new JsonObject
        {
            ["@odata.etag"] = ETag(_version + 1), ["id"] = NewId(ContactKind), ["displayName"] = name,
            ["givenName"] = name.Split(' ')[0], ["surname"] = name.Split(' ')[^1], ["companyName"] = "Fabrikam",
            ["createdDateTime"] = Now(), ["lastModifiedDateTime"] = Now(),
            ["emailAddresses"] = new JsonArray(new JsonObject { ["name"] = name, ["address"] = address }),
        });

    private JsonObject AddConversation(string topic, string fromUserId)
    {
        var id = NewId(ConversationKind);
        var conversation = Add($"groups/{SeedIds.GroupId}/conversations", new JsonObject
        {
            ["id"] = id, ["topic"] = topic, ["hasAttachments"] = false, ["lastDeliveredDateTime"] = Now(),
            ["uniqueSenders"] = new JsonArray(DisplayName(fromUserId)), ["preview"] = topic,
        });
        var threadId = $"{id}-thread";
        Add($"groups/{SeedIds.GroupId}/conversations/{id}/threads", new JsonObject
        {
            ["id"] = threadId, ["topic"] = topic, ["lastDeliveredDateTime"] = Now(), ["hasAttachments"] = false,
        });
        AddPost(id, threadId, topic, fromUserId);
        return conversation;
    }

    private JsonObject AddPost(string conversationId, string threadId, string text, string fromUserId) =>
        Add($"groups/{SeedIds.GroupId}/conversations/{conversationId}/threads/{threadId}/posts", new JsonObject
        {
            ["id"] = NewId(ConversationKind), ["receivedDateTime"] = Now(), ["createdDateTime"] = Now(), ["hasAttachments"] = false,
            ["conversationId"] = conversationId, ["conversationThreadId"] = threadId,
            ["body"] = new JsonObject { ["contentType"] = "html", ["content"] = $"<p>{text}</p>" },
            ["from"] = EmailAddress(fromUserId), ["sender"] = EmailAddress(fromUserId),
        });

    private JsonObject AddDriveItem(string driveId, string name, string? parentId, bool folder)
    {
        var drive = Collection("drives")!.Find(driveId)!;
        var parent = parentId ?? _rootOfDrive[driveId];
        var parentPath = parentId is null ? "/drive/root:" : $"/drive/root:/{Collection($"drives/{driveId}/items")!.Find(parentId)!["name"]}";
        var now = Now();
        var item = new JsonObject
        {
            ["id"] = NewId(DriveItemKind), ["name"] = name, ["createdDateTime"] = now, ["lastModifiedDateTime"] = now,
            ["size"] = folder ? 0 : 1024 * name.Length, ["eTag"] = ETag(_version + 1),
            ["webUrl"] = $"https://contoso.example/drives/{driveId}/{name}",
            ["parentReference"] = new JsonObject
            {
                ["driveId"] = driveId, ["driveType"] = drive["driveType"]?.DeepClone(), ["id"] = parent, ["path"] = parentPath,
            },
        };
        item[folder ? "folder" : "file"] = folder
            ? new JsonObject { ["childCount"] = 0 }
            : new JsonObject { ["mimeType"] = "application/octet-stream" };
        return Add($"drives/{driveId}/items", item, DeltaRemovalStyle.DeletedFacet);
    }

    private JsonObject AddListItem(string title)
    {
        var key = $"sites/{SeedIds.SiteId}/lists/{SeedIds.ListId}/items";
        var id = (NextNumber() + 1000).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var now = Now();
        return Add(key, new JsonObject
        {
            ["id"] = id, ["createdDateTime"] = now, ["lastModifiedDateTime"] = now, ["eTag"] = ETag(_version + 1),
            ["webUrl"] = $"https://contoso.sharepoint.com/Lists/IssueTracker/DispForm.aspx?ID={id}",
            ["contentType"] = new JsonObject { ["id"] = "0x01", ["name"] = "Item" },
            ["fields"] = new JsonObject { ["id"] = id, ["Title"] = title },
        }, DeltaRemovalStyle.DeletedFacet);
    }

    private JsonObject AddAlert(string title, string severity) =>
        Add("security/alerts", new JsonObject
        {
            ["id"] = NewId(AlertKind), ["title"] = title, ["severity"] = severity, ["status"] = "newAlert",
            ["category"] = "InitialAccess", ["createdDateTime"] = Now(), ["lastModifiedDateTime"] = Now(),
            ["vendorInformation"] = new JsonObject { ["provider"] = "Emulated Defender", ["vendor"] = "Microsoft" },
        });

    private JsonObject AddCallRecord()
    {
        var id = NewId(CallRecordKind);
        var start = _time.GetUtcNow().AddMinutes(-30);
        var record = Add("communications/callrecords", new JsonObject
        {
            ["id"] = id, ["version"] = 1, ["type"] = "groupCall", ["modalities"] = new JsonArray("audio", "video"),
            ["startDateTime"] = start.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["endDateTime"] = start.AddMinutes(25).ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["lastModifiedDateTime"] = Now(), ["joinWebUrl"] = $"https://teams.example/l/meetup-join/{id}",
        });
        foreach (var (userId, name, _) in People)
        {
            Add($"communications/callrecords/{id}/participants_v2", new JsonObject
            {
                ["id"] = userId, ["identity"] = new JsonObject { ["user"] = new JsonObject { ["id"] = userId, ["displayName"] = name } },
            });
        }

        return record;
    }

    private JsonObject AddChatMessage(string collectionKey, string text, string fromUserId)
    {
        var now = Now();
        var id = NewId(ChatMessageKind);
        var inChat = collectionKey.StartsWith("chats/", StringComparison.Ordinal);
        return Add(collectionKey, new JsonObject
        {
            ["id"] = id, ["replyToId"] = null, ["etag"] = (_version + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["messageType"] = "message", ["createdDateTime"] = now, ["lastModifiedDateTime"] = now,
            ["lastEditedDateTime"] = null, ["deletedDateTime"] = null, ["subject"] = null, ["summary"] = null,
            ["chatId"] = inChat ? SeedIds.ChatId : null, ["importance"] = "normal", ["locale"] = "en-us",
            ["webUrl"] = $"https://teams.example/l/message/{id}",
            ["channelIdentity"] = inChat ? null : new JsonObject { ["teamId"] = SeedIds.TeamId, ["channelId"] = SeedIds.ChannelId },
            ["from"] = new JsonObject
            {
                ["application"] = null, ["device"] = null,
                ["user"] = new JsonObject
                {
                    ["@odata.type"] = "#microsoft.graph.teamworkUserIdentity", ["id"] = fromUserId,
                    ["displayName"] = DisplayName(fromUserId), ["userIdentityType"] = "aadUser", ["tenantId"] = SeedIds.TenantId,
                },
            },
            ["body"] = new JsonObject { ["contentType"] = "html", ["content"] = $"<p>{text}</p>" },
            ["attachments"] = new JsonArray(), ["mentions"] = new JsonArray(), ["reactions"] = new JsonArray(),
        });
    }

    private JsonObject AddPrintJob()
    {
        var jobId = NewId(PrintKind);
        var job = Add($"print/printers/{SeedIds.PrinterId}/jobs", new JsonObject
        {
            ["id"] = jobId, ["createdDateTime"] = Now(), ["isFetchable"] = true,
            ["createdBy"] = new JsonObject { ["id"] = SeedIds.UserId, ["displayName"] = DisplayName(SeedIds.UserId), ["userPrincipalName"] = Address(SeedIds.UserId) },
            ["status"] = new JsonObject { ["state"] = "processing", ["description"] = "Ready to be fetched by the printer", ["details"] = new JsonArray() },
        });
        Add($"print/printers/{SeedIds.PrinterId}/jobs/{jobId}/documents", new JsonObject
        {
            ["id"] = NewId(PrintKind), ["displayName"] = $"Report {_sequence}.pdf", ["contentType"] = "application/pdf",
            ["size"] = 20480 + _sequence, ["uploadedDateTime"] = Now(),
        });
        return job;
    }

    private JsonObject AddPrintTask(string jobId) =>
        Add($"print/taskdefinitions/{SeedIds.PrintTaskDefinitionId}/tasks", new JsonObject
        {
            ["id"] = NewId(PrintKind),
            ["parentUrl"] = $"https://graph.microsoft.com/v1.0/print/printers/{SeedIds.PrinterId}/jobs/{jobId}",
            ["status"] = new JsonObject { ["state"] = "processing", ["description"] = "Waiting for the task's application" },
        });

    private JsonObject AddUser()
    {
        var n = NextNumber();
        var id = NewId(UserKind);
        return Add("users", User(id, $"Guest {n}", $"guest{n}@contoso.example", "Contractor"));
    }
}
