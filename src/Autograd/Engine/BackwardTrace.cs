using System.Globalization;
using System.Text;

namespace Autograd;

/// <summary>
/// One step of a traced reverse pass (<see cref="Tape.TraceBackward"/>): an op, the gradient that
/// reached its output, the op's local derivative rule, and the gradient it sent to each input.
/// Every tensor here is one the backward pass itself computed (nothing is recomputed for the trace).
/// </summary>
public sealed class BackwardStep
{
    internal BackwardStep(Node node, int index, string op, string rule, int[] outputShape, int[][] inputShapes, string[] inputNames,
        Tensor gradient, Tensor[] contributions, Tensor?[] inputGradients)
    {
        Node = node;
        Index = index;
        Op = op;
        Rule = rule;
        OutputShape = outputShape;
        InputShapes = inputShapes;
        InputNames = inputNames;
        Gradient = gradient;
        Contributions = contributions;
        InputGradients = inputGradients;
    }

    /// <summary>The recorded op (to find the step of a graph node).</summary>
    internal Node Node { get; }

    /// <summary>The step's number in the reverse pass, from 1 (reverse topological order: the output's op first).</summary>
    public int Index { get; }

    /// <summary>The op's name, as in <see cref="Tensor.GradFnName"/> without "Backward" (<c>Mul</c>, <c>Linear</c>, ...).</summary>
    public string Op { get; }

    /// <summary>The op's local derivative rule, in terms of the incoming gradient g (for example <c>∂/∂a = g·b, ∂/∂b = g·a</c>).</summary>
    public string Rule { get; }

    /// <summary>The shape of the op's output.</summary>
    public IReadOnlyList<int> OutputShape { get; }

    /// <summary>The shape of each input.</summary>
    public IReadOnlyList<int[]> InputShapes { get; }

    /// <summary>
    /// What each input is: its <see cref="Tensor.Name"/> if set, else the op that produced it ("Mul output"),
    /// "leaf" for an unnamed leaf that requires grad, or "constant" for a tensor that does not (an input batch, a target).
    /// </summary>
    public IReadOnlyList<string> InputNames { get; }

    /// <summary>The gradient of the output that the op's backward received: the sum of <see cref="Contributions"/>.</summary>
    public Tensor Gradient { get; }

    /// <summary>
    /// The gradients that were added up into <see cref="Gradient"/>, one per use of the output in the
    /// order they arrived (one for an output used once; two for a tensor used twice, as in x·x).
    /// </summary>
    public IReadOnlyList<Tensor> Contributions { get; }

    /// <summary>
    /// The gradient the op sent to each input (null where the input does not require grad), already
    /// summed over the dims the input was broadcast along.
    /// </summary>
    public IReadOnlyList<Tensor?> InputGradients { get; }
}

/// <summary>
/// The record of a reverse pass (<see cref="Tape.TraceBackward"/>): its steps in the order they ran,
/// and the gradient each leaf received. <see cref="ToString"/> prints it as a table; the values are
/// shown in full for small tensors and summarised (shape, mean, largest magnitude) for large ones.
/// </summary>
public sealed class BackwardTrace
{
    internal BackwardTrace(IReadOnlyList<BackwardStep> steps, IReadOnlyList<(Tensor Leaf, Tensor Gradient)> leaves)
    {
        Steps = steps;
        Leaves = leaves;
    }

    /// <summary>The steps in the order the pass ran them.</summary>
    public IReadOnlyList<BackwardStep> Steps { get; }

    /// <summary>
    /// Each leaf that received a gradient in this pass, with the gradient this pass added to its
    /// <see cref="Tensor.Grad"/> (the sum of what each of its uses sent), in the order the leaves were first reached.
    /// </summary>
    public IReadOnlyList<(Tensor Leaf, Tensor Gradient)> Leaves { get; }

    /// <summary>The trace as a table: one block per step, then the leaves' gradients.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (var step in Steps)
        {
            sb.Append(CultureInfo.InvariantCulture, $"step {step.Index}: {step.Op}  output {Shapes.Format(step.OutputShape.ToArray())}");
            sb.Append("  inputs ").AppendJoin(", ", step.InputShapes.Select((s, i) => $"{step.InputNames[i]} {Shapes.Format(s)}")).Append('\n');
            sb.Append("  rule  ").Append(step.Rule).Append('\n');
            if (step.Contributions.Count > 1)
                sb.Append("  g     ").AppendJoin(" + ", step.Contributions.Select(Show)).Append(" = ").Append(Show(step.Gradient)).Append('\n');
            else
                sb.Append("  g     ").Append(Show(step.Gradient)).Append('\n');
            int width = step.InputNames.Where((_, i) => step.InputGradients[i] is not null).Select(n => n.Length).DefaultIfEmpty(0).Max();
            for (int i = 0; i < step.InputGradients.Count; i++)
            {
                if (step.InputGradients[i] is not Tensor gi) continue;
                sb.Append("  → ").Append(step.InputNames[i].PadRight(width)).Append("  ").Append(Show(gi)).Append('\n');
            }
        }
        if (Leaves.Count > 0)
        {
            sb.Append("leaf gradients\n");
            int width = Leaves.Max(l => (l.Leaf.Name ?? "leaf").Length);
            foreach (var (leaf, g) in Leaves) sb.Append("  ").Append((leaf.Name ?? "leaf").PadRight(width)).Append("  ").Append(Show(g)).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>A tensor's values: all of them up to 12 elements, else a summary.</summary>
    internal static string Show(Tensor t, int full = 12)
    {
        double[] v = t.ToArray<double>();
        string F(double x) => x.ToString("G5", CultureInfo.InvariantCulture);
        if (v.Length <= full)
            return t.Rank == 0 ? F(v[0]) : "[" + string.Join(", ", v.Select(F)) + "]";
        double mean = v.Average(), max = v.Max(Math.Abs);
        return $"{Shapes.Format(t.Dims)} mean {F(mean)}, max |·| {F(max)}";
    }
}

/// <summary>Collects a <see cref="BackwardTrace"/> while <see cref="BackwardEngine"/> runs.</summary>
internal sealed class TraceRecorder
{
    private readonly List<BackwardStep> _steps = [];
    private readonly Dictionary<Node, List<Tensor>> _contributions = new(ReferenceEqualityComparer.Instance);
    private readonly List<(Tensor Leaf, Tensor Gradient)> _leaves = [];

    /// <summary>A gradient sent towards <paramref name="node"/>'s output (one use of it).</summary>
    public void Contribution(Node node, Tensor g)
    {
        if (!_contributions.TryGetValue(node, out var list)) _contributions[node] = list = [];
        list.Add(g);
    }

    /// <summary>A node's backward ran on <paramref name="gradient"/> and sent <paramref name="inputGradients"/>.</summary>
    public void Step(Node node, Tensor gradient, Tensor?[] inputGradients)
    {
        var contributions = _contributions.TryGetValue(node, out var list) ? list.ToArray() : [gradient];
        var names = node.Inputs.Select((t, i) => t.Name ?? (node.InputFns[i] is Node p ? p.Name + " output" : node.InputRequiresGrad[i] ? "leaf" : "constant")).ToArray();
        _steps.Add(new BackwardStep(node, _steps.Count + 1, node.Name, DerivativeRules.For(node), [.. node.Output.Dims],
            node.Inputs.Select(t => (int[])t.Dims.Clone()).ToArray(), names, gradient, contributions, inputGradients));
    }

    /// <summary>A leaf received <paramref name="g"/> from one of its uses.</summary>
    public void Leaf(Tensor leaf, Tensor g)
    {
        int i = _leaves.FindIndex(l => ReferenceEquals(l.Leaf, leaf));
        if (i < 0) _leaves.Add((leaf, g));
        else
        {
            using (Tape.NoGrad()) _leaves[i] = (leaf, _leaves[i].Gradient + g);
        }
    }

    public BackwardTrace Build() => new(_steps, _leaves);
}
