using NUnit.Framework;
using Shouldly;

namespace Autograd.Tests.Reliability;

/// <summary>
/// Runs <see cref="CoreCatalogue"/>: each wrong call must get an ArgumentException (or subclass) or
/// an InvalidOperationException whose message names the argument and the shapes or values at fault.
/// </summary>
[TestFixture]
public sealed class CoreCatalogueTests
{
    private static IEnumerable<TestCaseData> Cases() => CoreCatalogue.All.Select(BadCalls.ToTestCase);

    [TestCaseSource(nameof(Cases))]
    public void WrongCall_Throws_DocumentedExceptionNamingTheFault(BadCall call) => BadCalls.Verify(call);

    [Test]
    public void Catalogue_Report_CountsEveryKindAndEveryCaseIsNamedOnce()
    {
        var all = CoreCatalogue.All;
        all.Select(c => c.ToString()).ShouldBeUnique();
        all.Count.ShouldBeGreaterThan(250);
        string report = BadCalls.Report("core-catalogue", all);
        report.ShouldContain("**Total**");
    }
}
