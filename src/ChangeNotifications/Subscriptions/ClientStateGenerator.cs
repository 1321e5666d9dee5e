using System.Security.Cryptography;

namespace ChangeNotifications.Subscriptions;

/// <summary>A fresh clientState per subscription: 64 random alphanumeric characters (Graph allows up to 128).</summary>
internal static class ClientStateGenerator
{
    public const int Length = 64;

    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public static string Create() => RandomNumberGenerator.GetString(Alphabet, Length);
}
