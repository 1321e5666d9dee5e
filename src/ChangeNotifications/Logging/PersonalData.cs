using Microsoft.Extensions.Compliance.Classification;

namespace ChangeNotifications.Logging;

/// <summary>The data classes of the service's log parameters (public: a custom handler classifies its own lines with them).</summary>
public static class DataClasses
{
    public const string Taxonomy = "ChangeNotifications";

    /// <summary>Names, e-mail addresses, subjects, message and chat text, file names: written only while
    /// <c>Logging:PersonalData</c> allows it, else erased from the line and its properties.</summary>
    public static DataClassification PersonalData { get; } = new(Taxonomy, nameof(PersonalData));
}

/// <summary>Marks a <c>[LoggerMessage]</c> parameter as <see cref="DataClasses.PersonalData"/>.</summary>
public sealed class PersonalDataAttribute() : DataClassificationAttribute(DataClasses.PersonalData);
