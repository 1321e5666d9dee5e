using System.Text.Json.Nodes;

namespace ChangeNotifications.GraphEmulator.Tenant;

public sealed partial class EmulatedTenant
{
    /// <inheritdoc />
    public EmulatedChange? MakeChange(string subscriptionResource, string changeType)
    {
        ArgumentNullException.ThrowIfNull(subscriptionResource);
        ArgumentNullException.ThrowIfNull(changeType);
        var change = changeType.Trim().ToLowerInvariant();
        if (change is not ("created" or "updated" or "deleted"))
        {
            return null;
        }

        lock (_lock)
        {
            var path = ParsePath(subscriptionResource);
            return path.Shape switch
            {
                "users/messages" => OutlookChange(path, change, "messages", "Message"),
                "users/events" => OutlookChange(path, change, "events", "Event"),
                "users/contacts" => OutlookChange(path, change, "contacts", "Contact"),
                "users" => UserChange(path, change),
                "groups" or "groups/members" or "groups/owners" => GroupChange(path, change),
                "groups/conversations" or "groups/threads" => ConversationChange(path, change),
                "drives/items" => DriveChange(path, subscriptionResource, change),
                "sites/lists" => ListChange(path, subscriptionResource, change),
                "security/alerts" => AlertChange(path, change),
                "communications/callrecords" => CallRecordChange(change),
                "teams/channels/messages" or "chats/messages" or "teams" or "chats" => ChatChange(path, change),
                "print/printers/jobs" => PrintJobChange(path, change),
                "print/taskdefinitions/tasks" => PrintTaskChange(path, change),
                _ => null,
            };
        }
    }

    private EmulatedChange? OutlookChange(TenantPath path, string change, string collection, string type)
    {
        var userId = path.Id(0)!;
        if (Collection("users")?.Find(userId) is null)
        {
            return null;
        }

        var key = $"users/{userId}/{collection}";
        var n = NextNumber();
        var item = change switch
        {
            "created" => collection switch
            {
                "messages" => AddMessage(userId, $"Emulated message {n}", SeedIds.SecondUserId),
                "events" => AddEvent(userId, $"Emulated meeting {n}"),
                _ => AddContact(userId, $"Contact {n}", $"contact{n}@fabrikam.example"),
            },
            "updated" => Update(key, item =>
            {
                var field = collection == "contacts" ? "displayName" : "subject";
                item[field] = $"{Base((string?)item[field])} (edited {n})";
                if (collection == "messages")
                {
                    item["isRead"] = true;
                }
            }),
            _ => DeleteNewest(key),
        };
        if (item is null)
        {
            return null;
        }

        var resource = $"Users/{userId}/{char.ToUpperInvariant(collection[0])}{collection[1..]}/{item["id"]}";
        return Changed(resource, change, item, $"#Microsoft.Graph.{type}", resource);
    }

    private EmulatedChange? UserChange(TenantPath path, string change)
    {
        var target = path.ItemId;
        JsonObject? user;
        if (change == "deleted")
        {
            target ??= Collection("users")!.Live.Select(u => (string)u["id"]!).LastOrDefault(id => !IsSeedUser(id));
            user = target is null || IsSeedUser(target) ? null : Delete("users", target);
        }
        else if (target is null && change == "created")
        {
            user = AddUser();
        }
        else
        {
            var n = NextNumber();
            user = Update("users", u => u["jobTitle"] = $"Engineer level {n}", target ?? PickRoundRobin("users", n));
        }

        return user is null ? null : Changed($"Users/{user["id"]}", change == "deleted" ? "deleted" : "updated", user, "#Microsoft.Graph.User", $"Users/{user["id"]}");
    }

    private EmulatedChange? GroupChange(TenantPath path, string change)
    {
        var groupId = path.Id(0) ?? SeedIds.GroupId;
        if (change == "deleted" || Collection("groups")?.Find(groupId) is null)
        {
            return null;
        }

        var n = NextNumber();
        JsonObject? group;
        switch (path.Name(1))
        {
            case "members" or "owners":
                var key = $"groups/{groupId}/{path.Name(1)}";
                var guest = Collection(key)!.Live.Select(m => (string)m["id"]!).FirstOrDefault(id => !IsSeedUser(id));
                if (guest is not null)
                {
                    Delete(key, guest);
                }
                else
                {
                    var user = AddUser();
                    Add(key, DirectoryRef((string)user["id"]!, (string)user["displayName"]!, (string)user["userPrincipalName"]!));
                }

                group = Update("groups", _ => { }, groupId);
                break;
            default:
                group = Update("groups", g => g["description"] = $"Falcon project team, revision {n}", groupId);
                break;
        }

        return group is null ? null : Changed($"Groups/{groupId}", "updated", group, "#Microsoft.Graph.Group", $"Groups/{groupId}");
    }

    private EmulatedChange? ConversationChange(TenantPath path, string change)
    {
        var groupId = path.Id(0)!;
        if (!string.Equals(groupId, SeedIds.GroupId, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var key = $"groups/{groupId}/conversations";
        var n = NextNumber();
        var from = n % 2 == 0 ? SeedIds.UserId : SeedIds.SecondUserId;
        JsonObject? conversation;
        switch (change)
        {
            case "created":
                conversation = AddConversation($"Emulated topic {n}", from);
                break;
            case "updated":
                conversation = Collection(key)!.Live.LastOrDefault();
                if (conversation is not null)
                {
                    var id = (string)conversation["id"]!;
                    AddPost(id, $"{id}-thread", $"Reply {n}", from);
                    conversation = Update(key, c =>
                    {
                        c["lastDeliveredDateTime"] = Now();
                        c["preview"] = $"Reply {n}";
                    }, id);
                }

                break;
            default:
                conversation = DeleteNewest(key);
                break;
        }

        if (conversation is null)
        {
            return null;
        }

        var resource = $"groups('{groupId}')/conversations('{conversation["id"]}')";
        return Changed(resource, change, conversation, "#Microsoft.Graph.Conversation", resource);
    }

    /// <summary>Creates two files, renames the oldest, deletes the newest, in turn; Graph's notification names only the subscription's resource.</summary>
    private EmulatedChange? DriveChange(TenantPath path, string subscriptionResource, string change)
    {
        var driveId = path.Id(0)!;
        var key = $"drives/{driveId}/items";
        if (change != "updated" || Collection(key) is null)
        {
            return null;
        }

        var n = NextNumber();
        var files = Collection(key)!.Live.Where(i => i["file"] is not null).Select(i => (string)i["id"]!).ToList();
        _ = (_rotation++ % 4, files.Count) switch
        {
            (2, > 0) => Update(key, i => i["name"] = $"Renamed {n}.txt", files[0]),
            (3, > 2) => Delete(key, files[^1]),
            _ => AddDriveItem(driveId, $"Notes {n}.txt", null, folder: false),
        };
        return new EmulatedChange(Trimmed(subscriptionResource), "updated", null, "#Microsoft.Graph.DriveItem", null, null, null);
    }

    private EmulatedChange? ListChange(TenantPath path, string subscriptionResource, string change)
    {
        var key = $"sites/{path.Id(0)}/lists/{path.Id(1)}/items";
        if (change != "updated" || Collection(key) is null)
        {
            return null;
        }

        var n = NextNumber();
        var items = Collection(key)!.Live.Select(i => (string)i["id"]!).ToList();
        _ = (_rotation++ % 4, items.Count) switch
        {
            (2, > 0) => Update(key, i => i["fields"]!["Title"] = $"Issue {n} (updated)", items[0]),
            (3, > 2) => Delete(key, items[^1]),
            _ => AddListItem($"Issue {n}"),
        };
        return new EmulatedChange(Trimmed(subscriptionResource), "updated", null, "#Microsoft.Graph.ListItem", null, null, null);
    }

    private EmulatedChange? AlertChange(TenantPath path, string change)
    {
        var n = NextNumber();
        var alert = change switch
        {
            "created" when path.ItemId is null => AddAlert($"Impossible travel {n}", n % 2 == 0 ? "medium" : "high"),
            "updated" => Update("security/alerts", a => a["status"] = NextAlertStatus((string?)a["status"]), path.ItemId),
            _ => null,
        };
        return alert is null ? null : Changed($"security/alerts/{alert["id"]}", change, alert, "#Microsoft.Graph.Alert", $"security/alerts/{alert["id"]}");
    }

    private EmulatedChange? CallRecordChange(string change)
    {
        var record = change switch
        {
            "created" => AddCallRecord(),
            "updated" => Update("communications/callrecords", r => r["version"] = ((int?)r["version"] ?? 1) + 1),
            _ => null,
        };
        return record is null ? null : Changed($"communications/callRecords/{record["id"]}", change, record, "#microsoft.graph.callrecord", $"communications/callRecords/{record["id"]}");
    }

    private EmulatedChange? ChatChange(TenantPath path, string change)
    {
        var inChat = path.Name(0) == "chats";
        var key = inChat
            ? $"chats/{(path.Shape == "chats" ? SeedIds.ChatId : path.Id(0))}/messages"
            : $"teams/{(path.Shape == "teams" ? SeedIds.TeamId : path.Id(0))}/channels/{(path.Shape == "teams" ? SeedIds.ChannelId : path.Id(1))}/messages";
        if (Collection(key) is null)
        {
            return null;
        }

        var n = NextNumber();
        var from = n % 2 == 0 ? SeedIds.UserId : SeedIds.SecondUserId;
        var message = change switch
        {
            "created" => AddChatMessage(key, $"Emulated chat message {n}", from),
            "updated" => Update(key, m =>
            {
                m["body"]!["content"] = $"<p>Edited message {n}</p>";
                m["lastEditedDateTime"] = Now();
            }),
            _ => Update(key, m => m["deletedDateTime"] = Now()),
        };
        if (message is null)
        {
            return null;
        }

        var segments = key.Split('/');
        var resource = inChat
            ? $"chats('{segments[1]}')/messages('{message["id"]}')"
            : $"teams('{segments[1]}')/channels('{segments[3]}')/messages('{message["id"]}')";
        return Changed(resource, change, message, "#Microsoft.Graph.chatMessage", resource);
    }

    private EmulatedChange? PrintJobChange(TenantPath path, string change)
    {
        if (change != "updated" || !string.Equals(path.Id(0), SeedIds.PrinterId, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var job = AddPrintJob();
        var resource = $"print/printers/{SeedIds.PrinterId}/jobs/{job["id"]}";
        return Changed(resource, change, job, "#microsoft.graph.printJob", resource);
    }

    private EmulatedChange? PrintTaskChange(TenantPath path, string change)
    {
        if (change != "created" || !string.Equals(path.Id(0), SeedIds.PrintTaskDefinitionId, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var job = AddPrintJob();
        var task = AddPrintTask((string)job["id"]!);
        var resource = $"print/taskDefinitions/{SeedIds.PrintTaskDefinitionId}/tasks/{task["id"]}";
        return Changed(resource, change, task, "#microsoft.graph.printTask", resource);
    }

    private EmulatedChange Changed(string resource, string change, JsonObject item, string odataType, string odataId) =>
        new(resource, change, (string?)item["id"], odataType, odataId,
            (string?)item["@odata.etag"] ?? (string?)item["eTag"] ?? (string?)item["etag"],
            item.ToJsonString());

    /// <summary>Applies <paramref name="edit"/> to the item <paramref name="id"/> (default: the newest) and records the change.</summary>
    private JsonObject? Update(string key, Action<JsonObject> edit, string? id = null)
    {
        var collection = Collection(key);
        var item = id is null ? collection?.Live.LastOrDefault() : collection?.Find(id);
        if (collection is null || item is null)
        {
            return null;
        }

        edit(item);
        Touch(collection, item);
        return item;
    }

    private JsonObject? DeleteNewest(string key) =>
        Collection(key)?.Live.LastOrDefault() is { } newest ? Delete(key, (string)newest["id"]!) : null;

    private string? PickRoundRobin(string key, int n)
    {
        var ids = Collection(key)!.Live.Select(i => (string)i["id"]!).ToList();
        return ids.Count == 0 ? null : ids[n % ids.Count];
    }

    private static bool IsSeedUser(string id) => People.Any(p => string.Equals(p.Id, id, StringComparison.OrdinalIgnoreCase));

    private static string Base(string? text) => text is null ? string.Empty : text.Split(" (edited", 2)[0];

    private static string NextAlertStatus(string? status) => status switch
    {
        "newAlert" => "inProgress",
        "inProgress" => "resolved",
        _ => "newAlert",
    };

    private static string Trimmed(string resource) => resource.Split('?', 2)[0].Trim('/');
}
