using System.Globalization;

namespace Autograd;

/// <summary>The outcome of <see cref="GradCheck.Check"/>: pass or fail, and the worst element.</summary>
/// <param name="Passed">True when every element satisfies |analytic - numeric| &lt;= atol + rtol·|numeric|.</param>
/// <param name="MaxAbsError">The largest |analytic - numeric| over all Jacobian entries.</param>
/// <param name="WorstInput">The input holding the worst entry.</param>
/// <param name="WorstInputElement">The flat index of the worst entry within that input.</param>
/// <param name="WorstOutputElement">The flat index of the output element of the worst entry.</param>
/// <param name="Analytic">The analytic derivative there (from Backward).</param>
/// <param name="Numeric">The central finite difference there.</param>
public sealed record GradCheckResult(bool Passed, double MaxAbsError, int WorstInput, int WorstInputElement, int WorstOutputElement, double Analytic, double Numeric)
{
    /// <summary>A one-line summary naming the worst element.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"GradCheck {(Passed ? "passed" : "FAILED")}: max |analytic - numeric| = {MaxAbsError:E3} at input {WorstInput}, element {WorstInputElement}, output element {WorstOutputElement} (analytic {Analytic:G10}, numeric {Numeric:G10}).");
}

/// <summary>
/// Finite-difference gradient checking (like <c>torch.autograd.gradcheck</c>): compares every
/// entry of the Jacobian from Backward with a central difference (f(x + eps) - f(x - eps)) / 2eps,
/// in Float64.
/// </summary>
public static class GradCheck
{
    /// <summary>
    /// Checks <paramref name="function"/> at <paramref name="inputs"/>. The inputs are copied to
    /// Float64 leaves that require grad (Int64 inputs are passed through unchanged), so the caller's
    /// tensors are not touched.
    /// </summary>
    /// <param name="function">Maps the inputs to an output of any shape.</param>
    /// <param name="inputs">The point at which to check.</param>
    /// <param name="eps">The finite-difference step.</param>
    /// <param name="atol">Absolute tolerance.</param>
    /// <param name="rtol">Relative tolerance.</param>
    public static GradCheckResult Check(Func<IReadOnlyList<Tensor>, Tensor> function, IReadOnlyList<Tensor> inputs,
        double eps = 1e-6, double atol = 1e-5, double rtol = 1e-3)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(inputs);
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps must be positive.");
        for (int i = 0; i < inputs.Count; i++)
            if (inputs[i] is null) throw new ArgumentNullException(nameof(inputs), $"inputs[{i}] is null.");
        var x = inputs.Select(t => t.DType == DType.Int64 ? t : t.Detach().To(DType.Float64).Clone()).ToArray();
        var diff = Enumerable.Range(0, x.Length).Where(i => x[i].DType != DType.Int64).ToArray();
        foreach (int i in diff) x[i].RequiresGrad = true;

        var output = function(x) ?? throw new InvalidOperationException("GradCheck: the function returned null instead of a tensor.");
        if (output.DType != DType.Float64)
            throw new ArgumentException($"GradCheck needs the function to compute in Float64; it returned {output.DType}.", nameof(function));
        int nOut = output.NumberOfElements;

        // Analytic Jacobian, one row per output element.
        var analytic = diff.Select(i => new double[nOut, x[i].NumberOfElements]).ToArray();
        for (int o = 0; o < nOut; o++)
        {
            var seed = Tensor.ZerosLike(output);
            seed.SetFlat(o, 1);
            var grads = Tape.Grad(output, diff.Select(i => x[i]).ToArray(), seed, retainGraph: true, allowUnused: true);
            for (int k = 0; k < diff.Length; k++)
                for (int e = 0; e < grads[k].NumberOfElements; e++) analytic[k][o, e] = grads[k].GetFlat(e);
        }

        var worst = new GradCheckResult(true, 0, -1, -1, -1, 0, 0);
        bool passed = true;
        using (Tape.Override(gradEnabled: false))
        {
            for (int k = 0; k < diff.Length; k++)
            {
                var t = x[diff[k]];
                var data = t.Buffer<double>();
                for (int e = 0; e < data.Length; e++)
                {
                    double saved = data[e];
                    data[e] = saved + eps;
                    var plus = function(x).ToArray<double>();
                    data[e] = saved - eps;
                    var minus = function(x).ToArray<double>();
                    data[e] = saved;
                    for (int o = 0; o < nOut; o++)
                    {
                        double numeric = (plus[o] - minus[o]) / (2 * eps);
                        double a = analytic[k][o, e];
                        double err = Math.Abs(a - numeric);
                        bool ok = err <= atol + rtol * Math.Abs(numeric) || (double.IsNaN(a) && double.IsNaN(numeric));
                        passed &= ok;
                        if (err > worst.MaxAbsError || double.IsNaN(err) || worst.WorstInput < 0)
                            worst = new GradCheckResult(true, err, diff[k], e, o, a, numeric);
                    }
                }
            }
        }
        return worst with { Passed = passed };
    }
}
