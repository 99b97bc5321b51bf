using NUnit.Framework;
using Shouldly;

namespace Autograd.Nn.Tests.Reliability;

/// <summary>
/// Runs <see cref="NnCatalogue"/>: each wrong call must get an ArgumentException (or subclass) or
/// an InvalidOperationException whose message names the argument and the shapes or values at fault.
/// </summary>
[TestFixture]
public sealed class NnCatalogueTests
{
    private static IEnumerable<TestCaseData> Cases() => NnCatalogue.All.Select(BadCalls.ToTestCase);

    [TestCaseSource(nameof(Cases))]
    public void WrongCall_Throws_DocumentedExceptionNamingTheFault(BadCall call) => BadCalls.Verify(call);

    [Test]
    public void Catalogue_Report_CountsEveryKindAndEveryCaseIsNamedOnce()
    {
        var all = NnCatalogue.All;
        all.Select(c => c.ToString()).ShouldBeUnique();
        all.Count.ShouldBeGreaterThan(300);
        BadCalls.Report("nn-catalogue", all).ShouldContain("**Total**");
    }
}
