using System.Security.Cryptography.X509Certificates;
using ChangeNotifications.Subscriptions;

namespace ChangeNotifications.Security;

/// <summary>
/// The decryption certificates in use (rotation): every one decrypts, the newest is <see cref="Current"/>, the one
/// sent to Graph on create. Newest = the latest <c>NotBefore</c> that has begun; on a tie, the later in the list.
/// </summary>
public sealed class EncryptionCertificates(TimeProvider time) : ISubscriptionEncryptionCertificateSource
{
    private volatile State _state = new([], null);

    /// <summary>The certificate for new subscriptions (the instance is shared: do not dispose it), or null when none is configured.</summary>
    public SubscriptionEncryptionCertificate? Current => _state.Current;

    public IReadOnlyList<DecryptionCertificate> All => _state.All;

    /// <summary>Replaces the set (at start).</summary>
    public void Use(IReadOnlyList<DecryptionCertificate> certificates)
    {
        ArgumentNullException.ThrowIfNull(certificates);
        var now = time.GetUtcNow().UtcDateTime;
        var newest = certificates
            .Select((c, index) => (c, index))
            .OrderBy(x => x.c.Certificate.NotBefore.ToUniversalTime() <= now ? 1 : 0)
            .ThenBy(x => x.c.Certificate.NotBefore.ToUniversalTime())
            .ThenBy(x => x.index)
            .Select(x => x.c)
            .LastOrDefault();
        _state = new State(certificates, newest is null ? null : new SubscriptionEncryptionCertificate(newest.Id, newest.Certificate));
    }

    /// <summary>
    /// A copy of the certificate Graph named by id and thumbprint: the Graph SDK disposes what its certificate
    /// provider returns, so the shared instance is never handed out.
    /// </summary>
    public X509Certificate2 CopyFor(string? certificateId, string? thumbprint)
    {
        var state = _state;
        if (state.All.Count == 0)
        {
            throw new UnknownEncryptionCertificateException("Encrypted content received, but no decryption certificate is configured.");
        }

        var match = state.All.FirstOrDefault(c => string.Equals(c.Id, certificateId, StringComparison.Ordinal))
            ?? throw new UnknownEncryptionCertificateException($"Encrypted with unknown certificate id '{certificateId}'.");
        if (!string.IsNullOrEmpty(thumbprint) && !string.Equals(match.Certificate.Thumbprint, thumbprint, StringComparison.OrdinalIgnoreCase))
        {
            throw new UnknownEncryptionCertificateException($"Certificate '{certificateId}' has thumbprint {match.Certificate.Thumbprint}, but the content names {thumbprint}.");
        }

        return new X509Certificate2(match.Certificate);
    }

    private sealed record State(IReadOnlyList<DecryptionCertificate> All, SubscriptionEncryptionCertificate? Current);
}

/// <summary>Loads the certificates before any hosted service starts, so a bad one stops start-up and the reconciler finds them.</summary>
internal sealed class EncryptionCertificatesStartup(EncryptionCertificateLoader loader, EncryptionCertificates certificates) : IHostedLifecycleService
{
    public async Task StartingAsync(CancellationToken cancellationToken) => certificates.Use(await loader.LoadAsync());

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
