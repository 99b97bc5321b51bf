using NUnit.Framework;
using Shouldly;

namespace Autograd.Nn.Tests.Modules;

/// <summary>
/// <see cref="ActivationRecycling"/>'s one list of built-in layers: every module type of the library
/// is either on it (keeps no tensor it is given or returns) or off it on purpose, so that a new
/// module is classified when it is added rather than recycled by accident. The behaviour of the
/// policy is checked through <see cref="Sequential"/> in <see cref="SequentialReleaseTests"/>.
/// </summary>
[TestFixture]
public sealed class ActivationRecyclingTests
{
    private static readonly Type[] BuiltInLayers =
        [typeof(Linear), typeof(Conv1d), typeof(Conv2d), typeof(MaxPool1d), typeof(MaxPool2d), typeof(AvgPool1d), typeof(AvgPool2d), typeof(AdaptiveAvgPool2d), typeof(AdaptiveMaxPool2d), typeof(BatchNorm1d), typeof(BatchNorm2d), typeof(LayerNorm), typeof(GroupNorm), typeof(Embedding), typeof(Sigmoid), typeof(Tanh), typeof(ReLU), typeof(Softmax), typeof(LogSoftmax), typeof(Dropout), typeof(Dropout2d), typeof(Flatten), typeof(Identity)];

    // Containers pass their children's tensors on, so what they return may have been kept.
    // Two-input modules (the recurrent cells and layers) are never links of a Sequential, which refuses them.
    private static readonly Type[] NotOnTheList =
        [typeof(Sequential), typeof(RNN), typeof(LSTM), typeof(GRU), typeof(RNNCell), typeof(LSTMCell), typeof(GRUCell)];

    [Test]
    public void KeepsNoTensors_EveryModuleTypeOfTheLibrary_IsClassifiedOnPurpose()
    {
        var moduleTypes = typeof(Module).Assembly.GetTypes()
            // Losses take a target besides the input, so they are never links of a chain (and stay off the list).
            .Where(t => t.IsSubclassOf(typeof(Module)) && !t.IsAbstract && !t.Name.EndsWith("Loss", StringComparison.Ordinal))
            .OrderBy(t => t.Name)
            .ToList();
        moduleTypes.ShouldBe(BuiltInLayers.Concat(NotOnTheList).OrderBy(t => t.Name).ToList(), ignoreOrder: true);
    }

    [Test]
    public void KeepsNoTensors_TheBuiltInLayers_AreOnTheListAndContainersAreNot()
    {
        Module[] layers =
        [
            new Linear(2, 3, generator: new Generator(1)), new Conv1d(2, 2, 3, generator: new Generator(1)), new Conv2d(2, 2, 3, generator: new Generator(1)), new MaxPool1d(2), new MaxPool2d(2), new AvgPool1d(2), new AvgPool2d(2), new AdaptiveAvgPool2d(1), new AdaptiveMaxPool2d(1), new BatchNorm1d(2), new BatchNorm2d(2), new LayerNorm(3), new GroupNorm(1, 2), new Embedding(4, 2, generator: new Generator(1)), new Sigmoid(), new Tanh(), new ReLU(), new Softmax(1), new LogSoftmax(1),
            new Dropout(), new Dropout2d(), new Flatten(), new Identity(),
        ];
        foreach (var layer in layers) ActivationRecycling.KeepsNoTensors(layer).ShouldBeTrue(layer.GetType().Name);
        ActivationRecycling.KeepsNoTensors(new Sequential()).ShouldBeFalse();
        foreach (var type in BuiltInLayers) type.IsSealed.ShouldBeTrue($"{type.Name} must be sealed: a subclass could keep tensors");
    }
}
