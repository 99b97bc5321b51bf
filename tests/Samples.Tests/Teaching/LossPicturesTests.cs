using Autograd.Samples.Tests.Docs;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Samples.Tests.Teaching;

/// <summary>
/// docs/losses.md's pictures are what <see cref="LossPictures"/> draws from the library's own numbers
/// today: regenerate them with <c>dotnet run --project samples/LossTour -- --pictures docs/images/losses</c>
/// when a loss changes, and this test keeps them from drifting.
/// </summary>
[TestFixture]
public sealed class LossPicturesTests
{
    private static string Folder => Path.Combine(DocsInSyncTests.RepositoryRoot, "docs", "images", "losses");

    [Test]
    public void CommittedPictures_AreWhatTheLibraryDrawsNow()
    {
        var pictures = LossPictures.Render();
        Directory.GetFiles(Folder, "*.svg").Select(Path.GetFileName).Order(StringComparer.Ordinal)
            .ShouldBe(pictures.Keys.Order(StringComparer.Ordinal), "the folder holds exactly the pictures LossPictures draws");
        foreach (var (name, svg) in pictures)
            File.ReadAllText(Path.Combine(Folder, name)).ShouldBe(svg,
                $"docs/images/losses/{name} differs from what the library draws now: regenerate with dotnet run --project samples/LossTour -- --pictures docs/images/losses");
    }

    [Test]
    public void EveryPicture_IsShownInLossesMd()
    {
        string losses = File.ReadAllText(Path.Combine(DocsInSyncTests.RepositoryRoot, "docs", "losses.md"));
        foreach (var name in LossPictures.Render().Keys) losses.ShouldContain($"(images/losses/{name})");
    }

    [Test]
    public void Pictures_CarryTheLibrarysSlopes_ForExampleBceWithLogitsAtZero()
    {
        // ∂ℓ/∂x of BCEWithLogits at x = 0, target 1 is σ(0) - 1 = -0.5 (posWeight 1) and 3·(σ(0) - 1) = -1.5 (posWeight 3).
        var x = Tensor.FromArray([0f]);
        x.RequiresGrad = true;
        Autograd.Nn.Functional.BinaryCrossEntropyWithLogits(x, Tensor.FromArray([1f]), posWeight: Tensor.FromArray([3f]), reduction: Autograd.Nn.Reduction.Sum).Backward();
        x.Grad!.Item().ShouldBe(-1.5);
        LossPictures.Render()["bce-with-logits.svg"].ShouldContain("posWeight 3");
    }
}
