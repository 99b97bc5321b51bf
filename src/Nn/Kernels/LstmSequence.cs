using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using Autograd.Kernels;

namespace Autograd.Nn;

/// <summary>
/// A whole LSTM direction, forward and backward, with its hidden units split into parts that run
/// on separate threads (the fused path of <c>RecurrentLayerFunction</c>, outside createGraph).
/// </summary>
/// <remarks>
/// <para>
/// A step's products are small (batch 16, hidden 128: 16 × 512 × 128), and the steps are a chain,
/// so splitting each product over threads costs more in hand-offs than it saves. Instead part p
/// owns hidden units [start, start + count): the rows of W_hh for its four gates, its columns of
/// h and c, its gates' gradient and rows of dW_hh. A step's parts run at once (one fork-join per
/// step); each needs the whole h of the previous step, so the next step waits for all of them.
/// In the backward pass, part p computes its columns of dh = G W_hh and its rows of dW_hh = Gᵀ h,
/// then the next step's gate gradients for its units, all before the next hand-off.
/// </para>
/// <para>
/// No bit depends on the number of parts: each product element is the same in-order chain of
/// fused multiply-adds over the same terms (<see cref="MatMulKernel"/>), each elementwise value
/// is computed by the same operations as <see cref="LstmKernels"/>, dW_hh and db_hh add the
/// steps' terms in the same order, and the bias sums are per column. The tests compare it with
/// the composed cell ops bit for bit at several thread counts.
/// </para>
/// </remarks>
internal static class LstmSequence
{
    /// <summary>The fewest multiply-adds of one step's forward product worth a part of its own.</summary>
    internal const long MinPartMultiplyAdds = 128 * 1024;

    /// <summary>How many parts the hidden units are split into for <paramref name="threads"/> threads.</summary>
    public static int Parts(int rows, int hidden, int threads)
    {
        long perStep = (long)rows * 4 * hidden * hidden;
        return (int)Math.Clamp(Math.Min(threads, perStep / MinPartMultiplyAdds), 1, Math.Max(1, hidden));
    }

    private static (int Start, int Count) Units(int part, int parts, int hidden)
    {
        int start = (int)((long)part * hidden / parts), end = (int)((long)(part + 1) * hidden / parts);
        return (start, end - start);
    }

    /// <summary>
    /// The forward pass over <paramref name="length"/> steps. gi is (L, N, 4H) in time order; step s
    /// reads time s, or L - 1 - s when <paramref name="reverse"/>. Step s writes act[s] (N, 4H, the
    /// activated gates [i f g o]), c[s], tc[s] = tanh(c[s]) and h[s] (N, H each).
    /// </summary>
    public static void Forward<T>(T[] gi, T[] w, T[]? bias, T[] h0, T[] c0, int length, int rows, int hidden, bool reverse,
        T[][] act, T[][] c, T[][] tc, T[][] h, int threads) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var run = new ForwardRun<T>(gi, w, bias, h0, c0, length, rows, hidden, reverse, act, c, tc, h, Parts(rows, hidden, threads));
        try
        {
            for (int step = 0; step < length; step++)
            {
                run.Step = step;
                MatMulKernel.ForkJoin.Run(run.PartCount, threads, run.Body);
            }
        }
        finally
        {
            run.Release();
        }
    }

    /// <summary>
    /// The backward pass. gradOutput is (L + 1, N, H): the gradient of each time's h, then of the
    /// final c. Writes dGates (L, N, 4H: each time's gates' gradient before the activations), dh0 and
    /// dc0 (N, H), dW (4H, H) and, when <paramref name="dB"/> is not null, dB (4H), each as the
    /// step-by-step composition adds them (<c>RecurrentLayerFunction</c>'s unfused loop).
    /// </summary>
    public static void Backward<T>(T[] gradOutput, T[] w, T[] h0, T[] c0, int length, int rows, int hidden, bool reverse,
        T[][] act, T[][] c, T[][] tc, T[][] h, T[] dGates, T[] dh0, T[] dc0, T[] dW, T[]? dB, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var run = new BackwardRun<T>(gradOutput, w, h0, c0, length, rows, hidden, reverse, act, c, tc, h, dGates, dB is not null, Parts(rows, hidden, threads));
        try
        {
            run.Step = length - 1;
            MatMulKernel.ForkJoin.Run(run.PartCount, threads, run.First);
            for (int step = length - 1; step >= 0; step--)
            {
                run.Step = step;
                MatMulKernel.ForkJoin.Run(run.PartCount, threads, run.Body);
            }
            run.Finish(dh0, dc0, dW, dB);
        }
        finally
        {
            run.Release();
        }
    }

    private abstract class Run<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        protected readonly int Rows, Hidden, Length;
        protected readonly bool Reverse;
        protected readonly (int Start, int Count)[] PartUnits;
        private readonly List<T[]> _rented = [];

        public int Step;

        protected Run(int rows, int hidden, int length, bool reverse, int parts)
        {
            (Rows, Hidden, Length, Reverse) = (rows, hidden, length, reverse);
            PartUnits = new (int, int)[parts];
            for (int p = 0; p < parts; p++) PartUnits[p] = Units(p, parts, hidden);
        }

        public int PartCount => PartUnits.Length;

        protected int TimeOf(int step) => Reverse ? Length - 1 - step : step;

        protected T[] Rent(int length)
        {
            var a = ArrayPool<T>.Shared.Rent(Math.Max(1, length));
            _rented.Add(a);
            return a;
        }

        public void Release()
        {
            foreach (var a in _rented) ArrayPool<T>.Shared.Return(a);
            _rented.Clear();
        }

        /// <summary>
        /// C (m, n) = A (m, k) · B (k, n) on this thread, in blocks of at most <see cref="RowBlock"/>
        /// rows: B is the same for every step, and the GEMM reads a B that few row tiles use in place
        /// instead of packing it (each element is the same chain of fused multiply-adds either way).
        /// </summary>
        protected static void Product(int m, int n, int k, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c)
        {
            for (int r = 0; r < m; r += RowBlock)
            {
                int rows = Math.Min(RowBlock, m - r);
                MatMulKernel.Gemm<T>(false, false, rows, n, k, a.Slice(r * k, rows * k), b[..(k * n)], c.Slice(r * n, rows * n),
                    false, KernelWidth.Current, 1, long.MaxValue);
            }
        }

        /// <summary>The rows per product call: two row tiles of the 6-row micro-kernel, which the GEMM feeds from an unpacked B.</summary>
        private const int RowBlock = 12;

        /// <summary>
        /// The right factor of part <paramref name="u"/>'s gates, h W_pᵀ: (H, 4·count), column
        /// q·count + j holding W's row q·H + start + j (gate q's rows for the part's units).
        /// </summary>
        protected T[] GateColumns(T[] w, (int Start, int Count) u)
        {
            int c4 = 4 * u.Count;
            var t = Rent(Hidden * c4);
            for (int q = 0; q < 4; q++)
                for (int j = 0; j < u.Count; j++)
                {
                    var row = w.AsSpan((q * Hidden + u.Start + j) * Hidden, Hidden);
                    int column = q * u.Count + j;
                    for (int k = 0; k < Hidden; k++) t[k * c4 + column] = row[k];
                }
            return t;
        }
    }

    private sealed class ForwardRun<T> : Run<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly T[] _gi, _h0, _c0;
        private readonly T[][] _act, _c, _tc, _h;
        private readonly T[][] _w, _hg;
        private readonly T[]?[] _bias;

        public readonly Action<int> Body;

        public ForwardRun(T[] gi, T[] w, T[]? bias, T[] h0, T[] c0, int length, int rows, int hidden, bool reverse,
            T[][] act, T[][] c, T[][] tc, T[][] h, int parts) : base(rows, hidden, length, reverse, parts)
        {
            (_gi, _h0, _c0, _act, _c, _tc, _h) = (gi, h0, c0, act, c, tc, h);
            _w = new T[parts][];
            _hg = new T[parts][];
            _bias = new T[]?[parts];
            for (int p = 0; p < parts; p++)
            {
                var u = PartUnits[p];
                _w[p] = GateColumns(w, u);
                _hg[p] = Rent(rows * 4 * u.Count);
                if (bias is not null)
                {
                    var b = _bias[p] = Rent(4 * u.Count);
                    for (int q = 0; q < 4; q++) bias.AsSpan(q * hidden + u.Start, u.Count).CopyTo(b.AsSpan(q * u.Count));
                }
            }
            Body = Part;
        }

        private void Part(int p)
        {
            var (start, count) = PartUnits[p];
            int step = Step, h4 = 4 * Hidden, c4 = 4 * count;
            var hPrev = step == 0 ? _h0 : _h[step - 1];
            var cPrev = step == 0 ? _c0 : _c[step - 1];
            var hg = _hg[p];
            // linear_hh(h) for this part's gate rows: each element the same chain as the whole product's.
            Product(Rows, c4, Hidden, hPrev, _w[p], hg);
            var gi = _gi.AsSpan(TimeOf(step) * Rows * h4, Rows * h4);
            var bias = _bias[p];
            var (act, c, tc, h) = (_act[step], _c[step], _tc[step], _h[step]);
            for (int n = 0; n < Rows; n++)
            {
                var a = act.AsSpan(n * h4, h4);
                for (int q = 0; q < 4; q++)
                {
                    var dst = a.Slice(q * Hidden + start, count);
                    var hgq = hg.AsSpan(n * c4 + q * count, count);
                    var giq = gi.Slice(n * h4 + q * Hidden + start, count);
                    // linear_hh(h).add_(gi): (h Wᵀ + b) + gi, each sum rounded (elementwise adds: no width dependence).
                    if (bias is null) TensorPrimitives.Add(hgq, giq, dst);
                    else
                    {
                        TensorPrimitives.Add(hgq, bias.AsSpan(q * count, count), dst);
                        TensorPrimitives.Add(dst, giq, dst);
                    }
                }
                LstmKernels.ActivateAndUpdate(a, start, count, Hidden,
                    cPrev.AsSpan(n * Hidden + start, count), c.AsSpan(n * Hidden + start, count),
                    tc.AsSpan(n * Hidden + start, count), h.AsSpan(n * Hidden + start, count));
            }
        }
    }

    private sealed class BackwardRun<T> : Run<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly T[] _gradOutput, _h0, _c0;
        private readonly T[][] _act, _c, _tc, _h;
        private readonly T[] _dGates;
        private readonly T[][] _wCols, _dh, _dc, _dG, _dW, _term, _dB, _bTerm;
        private readonly bool _hasBias;

        public readonly Action<int> First, Body;

        public BackwardRun(T[] gradOutput, T[] w, T[] h0, T[] c0, int length, int rows, int hidden, bool reverse,
            T[][] act, T[][] c, T[][] tc, T[][] h, T[] dGates, bool hasBias, int parts) : base(rows, hidden, length, reverse, parts)
        {
            (_gradOutput, _h0, _c0, _act, _c, _tc, _h, _dGates, _hasBias) = (gradOutput, h0, c0, act, c, tc, h, dGates, hasBias);
            (_wCols, _dh, _dc, _dG, _dW, _term, _dB, _bTerm) = (new T[parts][], new T[parts][], new T[parts][], new T[parts][], new T[parts][], new T[parts][], new T[parts][], new T[parts][]);
            int h4 = 4 * hidden;
            for (int p = 0; p < parts; p++)
            {
                var (start, count) = PartUnits[p];
                // W_hh's columns of this part's units, (4H, count): the right factor of its columns of G W_hh.
                var cols = _wCols[p] = Rent(h4 * count);
                for (int r = 0; r < h4; r++) w.AsSpan(r * hidden + start, count).CopyTo(cols.AsSpan(r * count));
                _dh[p] = Rent(rows * count);
                _dc[p] = Rent(rows * count);
                _dG[p] = Rent(rows * 4 * count);
                _dW[p] = Rent(4 * count * hidden);
                _term[p] = Rent(4 * count * hidden);
                _dB[p] = Rent(4 * count);
                _bTerm[p] = Rent(4 * count);
                // The final c's gradient is the first dc to reach the last step.
                for (int n = 0; n < rows; n++)
                    gradOutput.AsSpan((length * rows + n) * hidden + start, count).CopyTo(_dc[p].AsSpan(n * count));
            }
            First = p => Gates(p, Step);
            Body = Part;
        }

        /// <summary>Part p's gates gradient at <paramref name="step"/>, from dh = g_out + dh_linear (as the loop adds them) and dc.</summary>
        private void Gates(int p, int step)
        {
            var (start, count) = PartUnits[p];
            int h4 = 4 * Hidden, c4 = 4 * count, time = TimeOf(step);
            var gOut = _gradOutput.AsSpan(time * Rows * Hidden, Rows * Hidden);
            var cPrev = step == 0 ? _c0 : _c[step - 1];
            var (act, tc, dh, dc, dG) = (_act[step], _tc[step], _dh[p], _dc[p], _dG[p]);
            var dGates = _dGates.AsSpan(time * Rows * h4, Rows * h4);
            bool last = step == Length - 1;
            for (int n = 0; n < Rows; n++)
            {
                var dhRow = dh.AsSpan(n * count, count);
                var g = gOut.Slice(n * Hidden + start, count);
                if (last) g.CopyTo(dhRow);
                else TensorPrimitives.Add(g, dhRow, dhRow);
                var dcRow = dc.AsSpan(n * count, count);
                LstmKernels.BackwardUnits(dhRow, dcRow, act.AsSpan(n * h4, h4), tc.AsSpan(n * Hidden + start, count),
                    cPrev.AsSpan(n * Hidden + start, count), start, count, Hidden, dGates.Slice(n * h4, h4), dG.AsSpan(n * c4, c4), dcRow);
            }
        }

        private void Part(int p)
        {
            var (_, count) = PartUnits[p];
            int step = Step, h4 = 4 * Hidden, c4 = 4 * count;
            var hPrev = step == 0 ? _h0 : _h[step - 1];
            // dh_linear = G W_hh, this part's columns.
            Product(Rows, count, h4, _dGates.AsSpan(TimeOf(step) * Rows * h4, Rows * h4), _wCols[p], _dh[p]);
            // dW_hh += Gᵀ h_prev and db_hh += Σ_rows G, this part's gate rows, the last step's term first.
            bool first = step == Length - 1;
            var target = first ? _dW[p] : _term[p];
            MatMulKernel.Gemm<T>(true, false, c4, Hidden, Rows, _dG[p].AsSpan(0, Rows * c4), hPrev.AsSpan(0, Rows * Hidden),
                target.AsSpan(0, c4 * Hidden), false, KernelWidth.Current, 1, long.MaxValue);
            if (!first) TensorPrimitives.Add(_dW[p].AsSpan(0, c4 * Hidden), _term[p].AsSpan(0, c4 * Hidden), _dW[p].AsSpan(0, c4 * Hidden));
            if (_hasBias)
            {
                var bTarget = first ? _dB[p] : _bTerm[p];
                ReduceKernels.SumRowsInDouble<T>(_dG[p].AsSpan(0, Rows * c4), c4, bTarget.AsSpan(0, c4));
                if (!first) TensorPrimitives.Add(_dB[p].AsSpan(0, c4), _bTerm[p].AsSpan(0, c4), _dB[p].AsSpan(0, c4));
            }
            if (step > 0) Gates(p, step - 1);
        }

        /// <summary>dh0 and dc0 from the parts' columns, dW and dB from their rows.</summary>
        public void Finish(T[] dh0, T[] dc0, T[] dW, T[]? dB)
        {
            for (int p = 0; p < PartUnits.Length; p++)
            {
                var (start, count) = PartUnits[p];
                for (int n = 0; n < Rows; n++)
                {
                    _dh[p].AsSpan(n * count, count).CopyTo(dh0.AsSpan(n * Hidden + start));
                    _dc[p].AsSpan(n * count, count).CopyTo(dc0.AsSpan(n * Hidden + start));
                }
                for (int q = 0; q < 4; q++)
                {
                    _dW[p].AsSpan(q * count * Hidden, count * Hidden).CopyTo(dW.AsSpan((q * Hidden + start) * Hidden));
                    if (dB is not null) _dB[p].AsSpan(q * count, count).CopyTo(dB.AsSpan(q * Hidden + start));
                }
            }
        }
    }
}
