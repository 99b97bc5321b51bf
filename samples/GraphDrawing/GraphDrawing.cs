using System.ComponentModel;
using System.Diagnostics;
using Autograd.Nn;

namespace Autograd.Samples;

/// <summary>
/// Draws the computation graph the tape records for one forward pass of a small classifier,
/// Linear(3, 4) → Tanh → Linear(4, 2) → CrossEntropyLoss. <see cref="Tensor.ToDot()"/> turns the
/// graph behind the loss into Graphviz DOT: ellipses are the parameters (leaves that require
/// grad, labelled with their <see cref="Tensor.Name"/>), boxes are the ops, and
/// <see cref="Tensor.Backward"/> walks the arrows in reverse. Graphviz renders graph.svg when it
/// is installed; without it the library draws graph.svg itself (<see cref="Tensor.ToSvg"/>).
/// </summary>
public static class GraphDrawing
{
    /// <summary>What <see cref="Run"/> wrote.</summary>
    /// <param name="Dot">The DOT text.</param>
    /// <param name="DotPath">The full path of graph.dot.</param>
    /// <param name="SvgPath">The full path of graph.svg (rendered by Graphviz, or by the library when Graphviz is missing or fails).</param>
    public sealed record Result(string Dot, string DotPath, string SvgPath);

    /// <summary>Builds the model, runs one forward pass, writes graph.dot and graph.svg.</summary>
    /// <param name="output">Where to print.</param>
    /// <param name="outputDirectory">Where to write the files; created if needed.</param>
    public static Result Run(TextWriter output, string outputDirectory = "graph-output")
    {
        var g = new Generator(0);
        var model = new Sequential(new Linear(3, 4, generator: g), new Tanh(), new Linear(4, 2, generator: g));
        // Name each parameter by its path in the model, as PyTorch's state dict does.
        foreach (var (name, parameter) in model.NamedParameters()) parameter.Name = name;

        var x = Tensor.Randn([5, 3], g);                    // a batch of 5 samples with 3 features
        var labels = Tensor.FromArray([0L, 1, 1, 0, 1], 5);
        var loss = new CrossEntropyLoss().Forward(model.Forward(x), labels);
        loss.Name = "loss";

        output.WriteLine(model);
        output.WriteLine(FormattableString.Invariant($"loss = {loss.Item():F4}"));
        string dot = loss.ToDot();
        output.WriteLine();
        output.WriteLine(dot);

        Directory.CreateDirectory(outputDirectory);
        string dotPath = Path.GetFullPath(Path.Combine(outputDirectory, "graph.dot"));
        File.WriteAllText(dotPath, dot);
        output.WriteLine($"wrote {dotPath}");
        string svgPath = Path.ChangeExtension(dotPath, ".svg");
        if (!Render(dotPath, svgPath, output))
        {
            File.WriteAllText(svgPath, loss.ToSvg());
            output.WriteLine($"wrote {svgPath} (drawn by the library's own layout, Tensor.ToSvg)");
        }
        return new Result(dot, dotPath, svgPath);
    }

    /// <summary>Runs <c>dot -Tsvg</c>; false (with a message) if Graphviz is missing or fails.</summary>
    private static bool Render(string dotPath, string svgPath, TextWriter output)
    {
        var start = new ProcessStartInfo("dot", ["-Tsvg", dotPath, "-o", svgPath])
        {
            UseShellExecute = false,
            RedirectStandardError = true,
        };
        try
        {
            using var process = Process.Start(start)!;
            string errors = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                output.WriteLine($"Graphviz 'dot' failed (exit code {process.ExitCode}): {errors.Trim()}");
                return false;
            }
        }
        catch (Win32Exception)
        {
            output.WriteLine("Graphviz is not installed ('dot' was not found); with it (e.g. apt-get install graphviz) the graph is drawn by");
            output.WriteLine($"dot -Tsvg \"{dotPath}\" -o \"{svgPath}\"");
            return false;
        }
        output.WriteLine($"wrote {svgPath}");
        return true;
    }
}
