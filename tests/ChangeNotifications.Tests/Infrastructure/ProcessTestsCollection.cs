namespace ChangeNotifications.Tests.Infrastructure;

/// <summary>Tests that start the service as a process run alone, after the parallel ones, so their clock is fair.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessTestsCollection
{
    public const string Name = "Service processes";
}
