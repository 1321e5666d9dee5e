using ChangeNotifications.Graph;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware.Options;

namespace ChangeNotifications.Subscriptions;

/// <summary>
/// The subscription calls the reconciler makes, through the app-only client of <see cref="IGraphClientProvider"/>.
/// The SDK's retry handler is switched off for these calls: the reconciler schedules its own retries per
/// subscription on the <see cref="TimeProvider"/>, honouring Retry-After, so one throttled subscription
/// neither blocks the others for minutes nor escapes the test clock.
/// </summary>
internal sealed class GraphSubscriptionsClient(IGraphClientProvider graphClients)
{
    public async Task<IReadOnlyList<Subscription>> ListAllAsync(CancellationToken cancellationToken)
    {
        var result = new List<Subscription>();
        var page = await graphClients.ForApp().Subscriptions.GetAsync(NoInlineRetry, cancellationToken);
        while (page is not null)
        {
            result.AddRange(page.Value ?? []);
            if (string.IsNullOrEmpty(page.OdataNextLink))
            {
                break;
            }

            page = await graphClients.ForApp().Subscriptions.WithUrl(page.OdataNextLink).GetAsync(NoInlineRetry, cancellationToken);
        }

        return result;
    }

    public async Task<Subscription> CreateAsync(Subscription subscription, CancellationToken cancellationToken) =>
        await graphClients.ForApp().Subscriptions.PostAsync(subscription, NoInlineRetry, cancellationToken)
        ?? throw new InvalidOperationException("Graph answered the create without a subscription.");

    /// <summary>
    /// PATCHes a new expiry; with <paramref name="certificate"/>, also the encryption certificate Graph encrypts
    /// resource data with from then on (key rotation).
    /// </summary>
    public async Task<Subscription> RenewAsync(Guid id, DateTimeOffset expiration, SubscriptionEncryptionCertificate? certificate, CancellationToken cancellationToken)
    {
        var update = new Subscription { ExpirationDateTime = expiration };
        certificate?.ApplyTo(update);

        return await graphClients.ForApp().Subscriptions[id.ToString("D")].PatchAsync(update, NoInlineRetry, cancellationToken)
            ?? throw new InvalidOperationException("Graph answered the renewal without a subscription.");
    }

    public Task ReauthorizeAsync(Guid id, CancellationToken cancellationToken) =>
        graphClients.ForApp().Subscriptions[id.ToString("D")].Reauthorize.PostAsync(NoInlineRetry, cancellationToken);

    /// <summary>Deletes; a subscription already gone counts as deleted.</summary>
    public async Task DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        try
        {
            await graphClients.ForApp().Subscriptions[id.ToString("D")].DeleteAsync(NoInlineRetry, cancellationToken);
        }
        catch (Microsoft.Graph.Models.ODataErrors.ODataError error) when (error.ResponseStatusCode == 404)
        {
        }
    }

    private static void NoInlineRetry<T>(RequestConfiguration<T> configuration)
        where T : class, new() =>
        configuration.Options.Add(new RetryHandlerOption { MaxRetry = 0 });
}
