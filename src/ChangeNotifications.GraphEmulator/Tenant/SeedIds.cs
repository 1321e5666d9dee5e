namespace ChangeNotifications.GraphEmulator.Tenant;

/// <summary>
/// Fixed ids of the emulator's seeded tenant, so that appsettings (Emulator mode) and tests can name
/// resource paths that exist.
/// </summary>
public static class SeedIds
{
    public const string TenantId = "7e1f2c3a-0b4d-4e5f-8a9b-1c2d3e4f5a6b";
    public const string ClientId = "3f9a8b7c-6d5e-4f3a-9b8c-7d6e5f4a3b2c";
    public const string ClientSecret = "emulator-client-secret";

    /// <summary>The app role the service's admin API requires by default.</summary>
    public const string AdminRole = "ChangeNotifications.Admin";

    /// <summary>A client app assigned <see cref="AdminRole"/> on the service's app: it gets admin API tokens.</summary>
    public const string AdminClientId = "4a0b9c8d-7e6f-4a5b-8c9d-0e1f2a3b4c5d";
    public const string AdminClientSecret = "emulator-admin-secret";

    /// <summary>A client app assigned only <see cref="ReaderRole"/>: its tokens are valid but carry no admin role.</summary>
    public const string ReaderClientId = "5b1c0d9e-8f7a-4b6c-9d0e-1f2a3b4c5d6e";
    public const string ReaderClientSecret = "emulator-reader-secret";
    public const string ReaderRole = "ChangeNotifications.Reader";

    /// <summary>The password of every seeded user on the emulator's sign-in form (<see cref="Hosting.GraphEmulatorOptions.SignInUsers"/>).</summary>
    public const string UserPassword = "emulator-user-password";

    public const string UserId = "5b0c9a6d-1e2f-4a3b-8c4d-9e0f1a2b3c4d";
    public const string SecondUserId = "6c1d0b7e-2f3a-4b4c-9d5e-0f1a2b3c4d5e";
    public const string GroupId = "8e3f2d9a-4b5c-4d6e-8f7a-2b3c4d5e6f7a";
    public const string TeamId = "9f4a3e0b-5c6d-4e7f-9a8b-3c4d5e6f7a8b";
    public const string ChannelId = "19:general-channel@thread.tacv2";
    public const string ChatId = "19:emulated-chat@thread.v2";
    public const string DriveId = "b!emulatedBusinessDrive0001";

    /// <summary>The OneDrive (personal) of <see cref="UserId"/>: what <c>/users/{UserId}/drive</c> answers.</summary>
    public const string UserDriveId = "4d1c7a0e9b2f3a58";
    public const string SiteId = "contoso.sharepoint.com,1a2b3c4d-0000-4000-8000-000000000001,1a2b3c4d-0000-4000-8000-000000000002";
    public const string ListId = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    public const string PrinterId = "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e";
    public const string PrintTaskDefinitionId = "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f";
}
