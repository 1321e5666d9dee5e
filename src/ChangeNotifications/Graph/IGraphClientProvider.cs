using Microsoft.Graph;

namespace ChangeNotifications.Graph;

/// <summary>
/// Hands out the <see cref="GraphServiceClient"/> a caller acts through. Handlers and subscription calls ask for a
/// client per call rather than holding one, so clients for other identities (a signed-in account) can be added here
/// without changing them.
/// </summary>
public interface IGraphClientProvider
{
    /// <summary>The client that calls Graph as the application itself (app-only permissions).</summary>
    GraphServiceClient ForApp();
}

/// <summary>The app-only provider: every caller shares the one client configured by section <c>Graph</c>.</summary>
internal sealed class AppOnlyGraphClientProvider(GraphServiceClient app) : IGraphClientProvider
{
    public GraphServiceClient ForApp() => app;
}
