using ChangeNotifications.Dispatching;
using ChangeNotifications.GraphEmulator.Tenant;
using ChangeNotifications.Handlers;
using ChangeNotifications.Resources;
using ChangeNotifications.Tests.EmulatorTenant;

namespace ChangeNotifications.Tests.Handlers;

public sealed class HandlerRegistrationTests(TenantHost host) : IClassFixture<TenantHost>
{
    [Fact]
    public async Task Every_resource_type_has_a_built_in_handler()
    {
        await using var h = HandlerHarness.Start(host);

        foreach (var type in Enum.GetValues<ResourceType>().Where(t => t != ResourceType.Unknown))
        {
            Assert.True(h.Registry.HasHandlerFor(type), $"no handler for {type}");
            Assert.IsAssignableFrom<GraphChangeHandler>(h.HandlerFor(type));
        }
    }

    [Fact]
    public async Task One_DI_line_after_AddChangeHandlers_replaces_the_handler_for_its_type()
    {
        var replacement = new CountingMessageHandler();
        await using var h = HandlerHarness.Start(host, configure: s => s.AddChangeHandler(replacement));

        await h.NotifyAsync($"users/{SeedIds.UserId}/messages", "created");

        Assert.Same(replacement, h.HandlerFor(ResourceType.Message));
        Assert.Equal(1, replacement.Handled);
        Assert.Empty(h.Lines(5101));
        Assert.IsType<UserHandler>(h.HandlerFor(ResourceType.User));
    }

    private sealed class CountingMessageHandler : IChangeNotificationHandler
    {
        public int Handled { get; private set; }

        public ResourceType ResourceType => ResourceType.Message;

        public Task HandleAsync(ChangeNotificationContext context, CancellationToken cancellationToken)
        {
            Handled++;
            return Task.CompletedTask;
        }

        public Task ResyncAsync(ResyncContext context, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
