using Microsoft.Graph;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Serialization;
using Microsoft.Kiota.Abstractions.Store;

namespace ChangeNotifications.Graph.Emulator;

/// <summary>
/// The request adapter of the Emulator-mode <c>GraphServiceClient</c>. The client can be built before the host has
/// started the emulator (a handler's constructor may take it); each request waits for the start and goes through the
/// adapter of <see cref="EmulatorGraphClient.Create"/>, made once the emulator's address and certificate are known.
/// </summary>
internal sealed class EmulatorRequestAdapter(EmulatorHost host, GraphCallMetrics? metrics = null) : IRequestAdapter
{
    private readonly Lock _gate = new();
    private IRequestAdapter? _inner;

    public ISerializationWriterFactory SerializationWriterFactory => SerializationWriterFactoryRegistry.DefaultInstance;

    /// <summary>
    /// The emulator's Graph address once it runs, else null. The SDK sets its default when it reads null; that is
    /// ignored, the emulator's address is the one requests go to.
    /// </summary>
    public string? BaseUrl
    {
        get => host.IsReady ? EmulatorGraphServiceClient.BaseUrlOf(host.Endpoint) : null;
        set { }
    }

    /// <summary>The inner adapter's own client enables the backing store when it is made.</summary>
    public void EnableBackingStore(IBackingStoreFactory backingStoreFactory)
    {
    }

    public async Task<TModel?> SendAsync<TModel>(RequestInformation requestInfo, ParsableFactory<TModel> factory, Dictionary<string, ParsableFactory<IParsable>>? errorMapping = null, CancellationToken cancellationToken = default)
        where TModel : IParsable =>
        await (await InnerAsync(cancellationToken)).SendAsync(requestInfo, factory, errorMapping, cancellationToken);

    public async Task<IEnumerable<TModel>?> SendCollectionAsync<TModel>(RequestInformation requestInfo, ParsableFactory<TModel> factory, Dictionary<string, ParsableFactory<IParsable>>? errorMapping = null, CancellationToken cancellationToken = default)
        where TModel : IParsable =>
        await (await InnerAsync(cancellationToken)).SendCollectionAsync(requestInfo, factory, errorMapping, cancellationToken);

    public async Task<TModel?> SendPrimitiveAsync<TModel>(RequestInformation requestInfo, Dictionary<string, ParsableFactory<IParsable>>? errorMapping = null, CancellationToken cancellationToken = default) =>
        await (await InnerAsync(cancellationToken)).SendPrimitiveAsync<TModel>(requestInfo, errorMapping, cancellationToken);

    public async Task<IEnumerable<TModel>?> SendPrimitiveCollectionAsync<TModel>(RequestInformation requestInfo, Dictionary<string, ParsableFactory<IParsable>>? errorMapping = null, CancellationToken cancellationToken = default) =>
        await (await InnerAsync(cancellationToken)).SendPrimitiveCollectionAsync<TModel>(requestInfo, errorMapping, cancellationToken);

    public async Task SendNoContentAsync(RequestInformation requestInfo, Dictionary<string, ParsableFactory<IParsable>>? errorMapping = null, CancellationToken cancellationToken = default) =>
        await (await InnerAsync(cancellationToken)).SendNoContentAsync(requestInfo, errorMapping, cancellationToken);

    public async Task<T?> ConvertToNativeRequestAsync<T>(RequestInformation requestInfo, CancellationToken cancellationToken = default) =>
        await (await InnerAsync(cancellationToken)).ConvertToNativeRequestAsync<T>(requestInfo, cancellationToken);

    private async Task<IRequestAdapter> InnerAsync(CancellationToken cancellationToken)
    {
        var endpoint = await host.GetEndpointAsync().WaitAsync(cancellationToken);
        return Inner(endpoint);
    }

    private IRequestAdapter Inner(EmulatorEndpoint endpoint)
    {
        lock (_gate)
        {
            return _inner ??= EmulatorGraphClient.Create(endpoint, metrics: metrics).RequestAdapter;
        }
    }
}

/// <summary>
/// The Emulator-mode client: over <see cref="EmulatorRequestAdapter"/>, and given the emulator's base URL once it has
/// started, so request information built from the client (delta queries read it) carries the emulator's address.
/// </summary>
internal sealed class EmulatorGraphServiceClient : GraphServiceClient
{
    public EmulatorGraphServiceClient(EmulatorHost host, GraphCallMetrics? metrics = null)
        : base(new EmulatorRequestAdapter(host, metrics))
    {
        host.EndpointReady += UseAddressOf;
        if (host.IsReady)
        {
            UseAddressOf(host.Endpoint);
        }
    }

    private void UseAddressOf(EmulatorEndpoint endpoint) => PathParameters["baseurl"] = BaseUrlOf(endpoint);

    internal static string BaseUrlOf(EmulatorEndpoint endpoint) => endpoint.GraphBaseUrl.AbsoluteUri.TrimEnd('/');
}
