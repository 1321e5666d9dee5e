using Xunit.Abstractions;
using Xunit.Sdk;

namespace ChangeNotifications.Tests.Infrastructure;

/// <summary>
/// A test of a contract every store passes: declared once in an abstract class, run by each store's subclass. In a
/// subclass that is an <see cref="IPostgresTests"/> it is skipped where PostgreSQL's binaries are absent, as
/// <see cref="PostgresFactAttribute"/> does (and runs, to fail, under CI).
/// </summary>
[XunitTestCaseDiscoverer("ChangeNotifications.Tests.Infrastructure.ContractFactDiscoverer", "ChangeNotifications.Tests")]
internal sealed class ContractFactAttribute : FactAttribute;

/// <summary>A test class whose tests need the PostgreSQL server.</summary>
internal interface IPostgresTests;

/// <summary>Discovers <see cref="ContractFactAttribute"/> tests, skipped in PostgreSQL classes without PostgreSQL.</summary>
public sealed class ContractFactDiscoverer(IMessageSink diagnosticMessageSink) : FactDiscoverer(diagnosticMessageSink)
{
    public override IEnumerable<IXunitTestCase> Discover(
        ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        ArgumentNullException.ThrowIfNull(testMethod);
        if (PostgresAvailability.SkipReason is { } reason && typeof(IPostgresTests).IsAssignableFrom(testMethod.TestClass.Class.ToRuntimeType()))
        {
            return
            [
                new XunitSkippedDataRowTestCase(
                    DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, reason),
            ];
        }

        return base.Discover(discoveryOptions, testMethod, factAttribute);
    }
}
