using NUnit.Framework;
using Shouldly;

namespace Autograd.Nn.Tests.Modules;

public class IncompatibleKeysTests
{
    [Test]
    public void ToString_AllKeysMatched_PrintsAsPyTorch()
    {
        // print(torch.nn.Linear(2, 1).load_state_dict(m.state_dict())): <All keys matched successfully>
        var m = new Linear(2, 1, generator: new Generator(1));
        m.LoadStateDict(m.StateDict()).ToString().ShouldBe("<All keys matched successfully>");
    }

    [Test]
    public void ToString_MissingAndUnexpected_PrintsAsPyTorch()
    {
        // m.load_state_dict({'weight': torch.zeros(1, 2), 'extra': torch.zeros(1)}, strict=False)
        // prints _IncompatibleKeys(missing_keys=['bias'], unexpected_keys=['extra'])
        var m = new Linear(2, 1, generator: new Generator(1));
        var keys = m.LoadStateDict(new Dictionary<string, Tensor> { ["weight"] = Tensor.Zeros(1, 2), ["extra"] = Tensor.Zeros(1) }, strict: false);
        keys.ToString().ShouldBe("_IncompatibleKeys(missing_keys=['bias'], unexpected_keys=['extra'])");
    }
}
