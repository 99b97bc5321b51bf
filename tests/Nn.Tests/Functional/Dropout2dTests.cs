using System.Text.Json;
using NUnit.Framework;
using Shouldly;
using F = Autograd.Nn.Functional;

namespace Autograd.Nn.Tests.Functional;

/// <summary>
/// <see cref="F.Dropout2d"/> and <see cref="Dropout2d"/>: whole channels zeroed or scaled by
/// 1 / (1 - p) (PyTorch's masks come from its own generator, so the check is the structure, the
/// scale's bits and the drop rate, not PyTorch's draws), the gradient is the mask, eval is the identity.
/// </summary>
[TestFixture]
public sealed class Dropout2dTests
{
    [Test]
    public void Dropout2d_Training_ZeroesOrScalesWholeChannels()
    {
        var x = Tensor.Randn([8, 50, 3, 4], new Generator(1));
        x.RequiresGrad = true;
        var y = F.Dropout2d(x, 0.3, generator: new Generator(2));
        y.Sum().Backward();
        float scale = 1f / (float)(1 - 0.3); // PyTorch: noise.bernoulli_(1 - p).div_(1 - p), in float
        float[] xs = x.ToArray<float>(), ys = y.ToArray<float>(), gs = x.Grad!.ToArray<float>();
        int dropped = 0;
        for (int channel = 0; channel < 8 * 50; channel++)
        {
            bool kept = ys[channel * 12] != 0 || xs[channel * 12] == 0;
            if (!kept) dropped++;
            for (int i = channel * 12; i < (channel + 1) * 12; i++)
            {
                ys[i].ShouldBe(kept ? xs[i] * scale : 0f, $"channel {channel}");
                gs[i].ShouldBe(kept ? scale : 0f, $"gradient of channel {channel}");
            }
        }
        // 400 channels, p = 0.3: the count is Binomial(400, 0.3), mean 120, σ ≈ 9.2; 5σ either side.
        dropped.ShouldBeInRange(74, 166);
    }

    [Test]
    public void Dropout2d_ThreeDimensionalInput_IsReadAsNCL()
    {
        var x = Tensor.Ones(4, 30, 5);
        var y = F.Dropout2d(x, 0.5, generator: new Generator(3)).ToArray<float>();
        for (int channel = 0; channel < 120; channel++)
            y.Skip(channel * 5).Take(5).Distinct().Count().ShouldBe(1, $"channel {channel}");
        y.Distinct().OrderBy(v => v).ShouldBe([0f, 2f]);
    }

    [Test]
    public void Dropout2d_SameGenerator_SameMask_AndEvalOrPZeroIsTheIdentity()
    {
        var x = Tensor.Randn([2, 6, 2, 2], new Generator(4));
        F.Dropout2d(x, 0.4, generator: new Generator(5)).ToArray<float>().ShouldBe(F.Dropout2d(x, 0.4, generator: new Generator(5)).ToArray<float>());
        var layer = new Dropout2d(0.4, new Generator(6));
        layer.Eval();
        layer.Forward(x).ShouldBeSameAs(x);
        F.Dropout2d(x, 0).ShouldBeSameAs(x);
        F.Dropout2d(x, 1).ToArray<float>().ShouldAllBe(v => v == 0);
    }

    [Test]
    public void Dropout2d_Repr_IsPyTorchs()
    {
        string path = Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", "pool", "pool.json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        string expected = doc.RootElement.GetProperty("repr").EnumerateArray().Single(r => r.GetProperty("name").GetString() == "Dropout2d(p=0.25)").GetProperty("repr").GetString()!;
        new Dropout2d(0.25).ToString().ShouldBe(expected);
    }

    [Test]
    public void Dropout2d_BadArguments_Throw()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => new Dropout2d(1.5)).ParamName.ShouldBe("p");
        Should.Throw<ArgumentException>(() => F.Dropout2d(Tensor.Ones(5))).Message.ShouldContain("[5]");
        Should.Throw<ArgumentException>(() => F.Dropout2d(Tensor.FromArray(new long[4], [2, 2]))).Message.ShouldContain("Int64");
        Should.Throw<ArgumentNullException>(() => F.Dropout2d(null!));
    }
}
