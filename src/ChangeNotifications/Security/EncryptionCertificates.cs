using System.Security.Cryptography.X509Certificates;
using ChangeNotifications.Subscriptions;
using Microsoft.Extensions.Options;

namespace ChangeNotifications.Security;

/// <summary>
/// The decryption certificates in use (rotation): every one decrypts, the newest is <see cref="Current"/>, the one
/// sent to Graph on create. Newest = the latest <c>NotBefore</c> that has begun; on a tie, the later in the list.
/// </summary>
internal sealed class EncryptionCertificates(TimeProvider time) : ISubscriptionEncryptionCertificateSource
{
    private volatile Lazy<State> _state = new(new State([], null));

    /// <summary>The certificate for new subscriptions (the instance is shared: do not dispose it), or null when none is configured.</summary>
    public SubscriptionEncryptionCertificate? Current => _state.Value.Current;

    public IReadOnlyList<DecryptionCertificate> All => _state.Value.All;

    /// <summary>Replaces the set (at start).</summary>
    public void Use(IReadOnlyList<DecryptionCertificate> certificates)
    {
        ArgumentNullException.ThrowIfNull(certificates);
        _state = new Lazy<State>(StateOf(certificates));
    }

    /// <summary>Replaces the set with one loaded on first use (the emulator's, which may have to be generated first).</summary>
    public void UseOnFirstNeed(Func<IReadOnlyList<DecryptionCertificate>> load)
    {
        ArgumentNullException.ThrowIfNull(load);
        _state = new Lazy<State>(() => StateOf(load()), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    private State StateOf(IReadOnlyList<DecryptionCertificate> certificates)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var newest = certificates
            .Select((c, index) => (c, index))
            .OrderBy(x => x.c.Certificate.NotBefore.ToUniversalTime() <= now ? 1 : 0)
            .ThenBy(x => x.c.Certificate.NotBefore.ToUniversalTime())
            .ThenBy(x => x.index)
            .Select(x => x.c)
            .LastOrDefault();
        return new State(certificates, newest is null ? null : new SubscriptionEncryptionCertificate(newest.Id, newest.Certificate));
    }

    /// <summary>
    /// A copy of the certificate Graph named by id and thumbprint: the Graph SDK disposes what its certificate
    /// provider returns, so the shared instance is never handed out.
    /// </summary>
    public X509Certificate2 CopyFor(string? certificateId, string? thumbprint)
    {
        var state = _state.Value;
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

/// <summary>
/// Loads the configured certificates before any hosted service starts, so a bad one stops start-up and the reconciler
/// finds them. The emulator's certificate (Emulator mode, none configured) is loaded, or generated, on first need.
/// </summary>
internal sealed class EncryptionCertificatesStartup(
    EncryptionCertificateLoader loader,
    EncryptionCertificates certificates,
    IOptions<RichNotificationsOptions> options) : IHostedLifecycleService
{
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Certificates.Count == 0 && options.Value.EmulatorMode)
        {
            certificates.UseOnFirstNeed(() => [loader.LoadEmulatorCertificate()]);
            return;
        }

        certificates.Use(await loader.LoadAsync());
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
