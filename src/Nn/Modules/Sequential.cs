using System.Collections;
using System.Globalization;

namespace Autograd.Nn;

/// <summary>
/// A chain of modules applied in order, each to the previous one's output (like
/// <c>torch.nn.Sequential</c>). The children are named "0", "1", ..., so their parameters are
/// <c>0.weight</c>, <c>0.bias</c>, ... as in PyTorch. With no modules it returns its input. It holds
/// one-tensor modules only: a module with several inputs (<see cref="Module{T1, T2, TResult}"/>) is refused.
/// </summary>
/// <remarks>
/// <code>
/// var model = new Sequential(new Linear(30, 1, generator: g), new Sigmoid());
/// // Sequential(
/// //   (0): Linear(in_features=30, out_features=1, bias=True)
/// //   (1): Sigmoid()
/// // )
/// </code>
/// </remarks>
public sealed class Sequential : Module, IReadOnlyList<Module>
{
    private readonly List<Module> _modules = [];

    /// <summary>Creates the chain.</summary>
    /// <param name="modules">The modules, in the order they are applied.</param>
    /// <exception cref="ArgumentNullException">The array or one of the modules is null.</exception>
    /// <exception cref="ArgumentException">One of the modules takes several inputs.</exception>
    public Sequential(params Module[] modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        for (int i = 0; i < modules.Length; i++)
        {
            if (modules[i] is null) throw new ArgumentNullException(nameof(modules), $"Sequential: module {i} is null.");
            Append(modules[i]);
        }
    }

    /// <summary>The module at position <paramref name="index"/>.</summary>
    /// <param name="index">0 to <see cref="Count"/> - 1.</param>
    /// <returns>The module.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is out of range.</exception>
    public Module this[int index]
    {
        get
        {
            if (index < 0 || index >= _modules.Count)
                throw new ArgumentOutOfRangeException(nameof(index), index, $"Sequential has {_modules.Count} modules; index {index} is out of range.");
            return _modules[index];
        }
    }

    /// <summary>The number of modules.</summary>
    public int Count => _modules.Count;

    /// <summary>Adds <paramref name="module"/> at the end, named by its position (like <c>append</c>).</summary>
    /// <param name="module">The module to add.</param>
    /// <returns>This Sequential.</returns>
    /// <exception cref="ArgumentException"><paramref name="module"/> takes several inputs (<see cref="Module{T1, T2, TResult}"/>).</exception>
    public Sequential Append(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (!module.TakesOneTensor)
            throw new ArgumentException($"Sequential holds one-tensor modules only; module {_modules.Count} ({module.GetType().Name}) takes several inputs. Call it from a module of your own instead.", nameof(module));
        RegisterModule(_modules.Count.ToString(CultureInfo.InvariantCulture), module);
        _modules.Add(module);
        return this;
    }

    /// <summary>Applies the modules in order.</summary>
    /// <param name="input">The first module's input.</param>
    /// <returns>The last module's output (the input itself when empty).</returns>
    /// <remarks>
    /// Activations passed between two of the library's layers (<see cref="Linear"/>, the
    /// activations, <see cref="Dropout"/>, <see cref="Flatten"/>, <see cref="Identity"/>) cannot be
    /// reached by any user code, so their arrays are reused by the next forward pass; the input,
    /// the output and whatever a user-defined module sees are left alone.
    /// </remarks>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var x = input;
        var recycling = new ActivationRecycling(); // the engine's policy for activations no user code can reach
        foreach (var module in _modules) x = recycling.Forward(module, x);
        return x;
    }

    /// <summary>The modules in order.</summary>
    /// <returns>An enumerator.</returns>
    public IEnumerator<Module> GetEnumerator() => _modules.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
