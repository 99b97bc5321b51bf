using System.Numerics;
using Autograd.Kernels;

namespace Autograd.Nn;

/// <summary>
/// One direction of one recurrent layer over a whole sequence, as one recorded op: inputs
/// <c>gi</c> (L, N, gates·hidden), the input projection of every time step; <c>h0</c> (N, hidden);
/// <c>c0</c> (N, hidden) for an LSTM; <c>weight_hh</c>; and <c>bias_hh</c> when the layer has
/// biases. The result stacks the step outputs in time order, (L, N, hidden); an LSTM appends its
/// final cell state, (L + 1, N, hidden). A reversed direction runs from the last step to the first.
/// </summary>
/// <remarks>
/// <para>
/// Why one op rather than the steps on the tape: a step reads its slice of <c>gi</c>, and the
/// backward of a slice is a zero tensor of the whole <c>gi</c> with the slice's gradient in it, so
/// L recorded slices would cost O(L²) in the backward pass. Here the forward runs the same step
/// functions as the cells (<see cref="RecurrentSteps"/>) and keeps each step's values, and the
/// backward is backpropagation through time written out: memory and time linear in L.
/// </para>
/// <para>
/// The backward applies, step by step, the derivatives PyTorch's autograd applies to its cells'
/// ops, in the same order (σ' = g (1 - s) s, tanh' = g (1 - t²), each product's gradient the
/// gradient times the other factor, the hidden state's gradients added in the order they reach
/// it), so a gradient rounds as the composed ops' would; the tests compare the two bit for bit.
/// Its ops are differentiable: under <c>createGraph</c> it first replays the steps on the tape
/// from its saved inputs, so the gradient it returns is a recorded function of them and
/// higher-order gradients are correct.
/// </para>
/// </remarks>
internal sealed class RecurrentLayerFunction(RecurrentMode mode, bool reverse) : BuiltInFunction
{
    private bool _hasBias;
    private Steps? _steps;

    public override string Name => mode switch
    {
        RecurrentMode.Lstm => "LstmLayer",
        RecurrentMode.Gru => "GruLayer",
        RecurrentMode.RnnRelu => "RnnReluLayer",
        _ => "RnnTanhLayer",
    };

    /// <summary>Each step's values, in the order the steps ran.</summary>
    private sealed class Steps(int length)
    {
        public readonly Tensor[] HPrev = new Tensor[length];
        public readonly Tensor[] H = new Tensor[length];
        public readonly Tensor[] CPrev = new Tensor[length];
        public readonly RecurrentSteps.LstmValues[] Lstm = new RecurrentSteps.LstmValues[length];
        public readonly RecurrentSteps.GruValues[] Gru = new RecurrentSteps.GruValues[length];
        public Tensor? FinalC;

        // An LSTM run by the fused kernels: each step's activated gates [i f g o], c and tanh(c).
        public Tensor[]? Act;
        public Tensor[]? C;
        public Tensor[]? TanhC;
    }

    protected override Tensor Forward(IReadOnlyList<Tensor> inputs)
    {
        _hasBias = inputs.Count == (mode == RecurrentMode.Lstm ? 5 : 4);
        SaveForBackward([.. inputs]);
        _steps = mode == RecurrentMode.Lstm ? RunLstmFused(inputs) : Run(inputs);
        int length = _steps.H.Length;
        var outputs = new Tensor[length + (mode == RecurrentMode.Lstm ? 1 : 0)];
        for (int step = 0; step < length; step++) outputs[TimeOf(step, length)] = _steps.H[step];
        if (mode == RecurrentMode.Lstm) outputs[length] = _steps.FinalC!;
        return Tensor.Stack(outputs);
    }

    private int TimeOf(int step, int length) => reverse ? length - 1 - step : step;

    /// <summary>Runs the steps (recorded when the tape is on: the replay for higher-order gradients).</summary>
    private Steps Run(IReadOnlyList<Tensor> inputs)
    {
        var gi = inputs[0];
        var h = inputs[1];
        int k = 2;
        Tensor? c = mode == RecurrentMode.Lstm ? inputs[k++] : null;
        var w = inputs[k++];
        var b = _hasBias ? inputs[k] : null;
        int length = gi.Dims[0];
        var s = new Steps(length);
        for (int step = 0; step < length; step++)
        {
            var git = gi.Select(0, TimeOf(step, length));
            s.HPrev[step] = h;
            switch (mode)
            {
                case RecurrentMode.Lstm:
                    s.CPrev[step] = c!;
                    var lstm = s.Lstm[step] = RecurrentSteps.Lstm(git, h, c!, w, b);
                    (h, c) = (lstm.H, lstm.C);
                    break;
                case RecurrentMode.Gru:
                    h = (s.Gru[step] = RecurrentSteps.Gru(git, h, w, b)).H;
                    break;
                default:
                    h = RecurrentSteps.Simple(git, h, w, b, mode == RecurrentMode.RnnRelu);
                    break;
            }
            s.H[step] = h;
        }
        s.FinalC = c;
        return s;
    }

    /// <summary>The LSTM's steps through <see cref="LstmSequence.Forward"/>: the same values as <see cref="Run"/>, never recorded.</summary>
    private Steps RunLstmFused(IReadOnlyList<Tensor> inputs)
    {
        var (gi, h0, c0, w) = (inputs[0], inputs[1], inputs[2], inputs[3]);
        var b = _hasBias ? inputs[4] : null;
        int length = gi.Dims[0], rows = h0.Dims[0], hidden = h0.Dims[1];
        var s = new Steps(length) { Act = new Tensor[length], C = new Tensor[length], TanhC = new Tensor[length] };
        var c = s.C;
        for (int step = 0; step < length; step++)
        {
            s.Act[step] = Tensor.Uninitialized([rows, 4 * hidden], gi.DType);
            s.TanhC[step] = Tensor.Uninitialized([rows, hidden], gi.DType);
            s.H[step] = Tensor.Uninitialized([rows, hidden], gi.DType);
            c[step] = Tensor.Uninitialized([rows, hidden], gi.DType);
        }
        DTypeDispatch.RunFloat(gi.DType, new LstmForwardCall(gi, w, b, h0, c0, s.Act, c, s.TanhC, s.H, reverse));
        for (int step = 0; step < length; step++)
        {
            (s.HPrev[step], s.CPrev[step]) = step == 0 ? (h0, c0) : (s.H[step - 1], c[step - 1]);
            // Only this op's backward reads these arrays (the result is a copy of h and the final c):
            // they go back to the pool when the graph is freed, for the next forward.
            foreach (var kept in new[] { s.Act[step], s.TanhC[step], s.H[step], c[step] }) ReturnOnRelease(kept.Data);
        }
        s.FinalC = c[length - 1];
        return s;
    }

    /// <summary>The LSTM's backward through <see cref="LstmSequence.Backward"/>: the same bits as the unfused loop below.</summary>
    private Tensor?[] BackwardLstmFused(Tensor gradOutput, Steps s)
    {
        var (h0, c0, w) = (SavedTensors[1], SavedTensors[2], SavedTensors[3]);
        int length = s.H.Length, rows = h0.Dims[0], hidden = h0.Dims[1];
        var dType = gradOutput.DType;
        var dGi = Tensor.Uninitialized([length, rows, 4 * hidden], dType);
        var (dh0, dc0, dW) = (Tensor.Uninitialized([rows, hidden], dType), Tensor.Uninitialized([rows, hidden], dType), Tensor.Uninitialized([4 * hidden, hidden], dType));
        var dB = _hasBias ? Tensor.Uninitialized([4 * hidden], dType) : null;
        DTypeDispatch.RunFloat(dType, new LstmBackwardCall(gradOutput, w, h0, c0, s, dGi, dh0, dc0, dW, dB, reverse));
        return _hasBias ? [dGi, dh0, dc0, dW, dB] : [dGi, dh0, dc0, dW];
    }

    protected override IReadOnlyList<Tensor?> Backward(Tensor gradOutput)
    {
        // Under createGraph, replay the steps on the tape so the gradient below is a recorded
        // function of the inputs (the kept values are constants to the tape).
        var s = Tape.IsGradEnabled ? Run(SavedTensors) : _steps!;
        if (s.Act is not null) return BackwardLstmFused(gradOutput, s);
        var w = SavedTensors[mode == RecurrentMode.Lstm ? 3 : 2];
        int length = s.H.Length;
        var dGi = new Tensor[length];
        Tensor? dW = null, dB = null;
        // The gradient reaching the state that step t - 1 produced, from step t: through W_hh
        // (every mode) and, for a GRU, directly through h' = (h - n) z + n.
        Tensor? dhLinear = null, dhDirect = null;
        Tensor? dc = mode == RecurrentMode.Lstm ? gradOutput.Select(0, length) : null;
        for (int step = length - 1; step >= 0; step--)
        {
            // PyTorch adds the output's gradient first, then the next step's (direct, then linear).
            var dh = gradOutput.Select(0, TimeOf(step, length));
            if (dhDirect is not null) dh += dhDirect;
            if (dhLinear is not null) dh += dhLinear;

            Tensor dGates;
            switch (mode)
            {
                case RecurrentMode.Lstm:
                {
                    var v = s.Lstm[step];
                    var dO = dh * v.TanhC;
                    var dC = TanhBackward(dh * v.O, v.TanhC) + dc!;
                    dc = dC * v.F;
                    dGates = Tensor.Concat([SigmoidBackward(dC * v.G, v.I), SigmoidBackward(dC * s.CPrev[step], v.F), TanhBackward(dC * v.I, v.G), SigmoidBackward(dO, v.O)], 1);
                    break;
                }
                case RecurrentMode.Gru:
                {
                    var v = s.Gru[step];
                    var dz = SigmoidBackward(dh * v.HMinusN, v.Z);
                    var dDirect = dh * v.Z;
                    var dPre = TanhBackward(dh - dDirect, v.N); // n's gradient: dh from "+ n", -dh z from "h - n"
                    var dr = SigmoidBackward(dPre * v.Hn, v.R);
                    dGi[TimeOf(step, length)] = Tensor.Concat([dr, dz, dPre], 1);
                    dGates = Tensor.Concat([dr, dz, dPre * v.R], 1);
                    dhDirect = dDirect;
                    break;
                }
                default:
                    dGates = mode == RecurrentMode.RnnRelu ? ReluBackward(dh, s.H[step]) : TanhBackward(dh, s.H[step]);
                    break;
            }
            if (mode != RecurrentMode.Gru) dGi[TimeOf(step, length)] = dGates;

            // linear_hh's backward (addmm): dh = G W, dW = (hᵀ G)ᵀ = Gᵀ h, db = Σ_rows G; PyTorch adds the
            // steps' dW and db in the order the backward reaches them, the last step first.
            dhLinear = dGates.MatMul2D(w, transA: false, transB: false);
            dW = Accumulate(dW, dGates.MatMul2D(s.HPrev[step], transA: true, transB: false));
            if (_hasBias) dB = Accumulate(dB, SumRows(dGates));
        }
        var dh0 = dhDirect is null ? dhLinear! : dhDirect + dhLinear!;
        return mode == RecurrentMode.Lstm
            ? (_hasBias ? [Tensor.Stack(dGi), dh0, dc, dW, dB] : [Tensor.Stack(dGi), dh0, dc, dW])
            : (_hasBias ? [Tensor.Stack(dGi), dh0, dW, dB] : [Tensor.Stack(dGi), dh0, dW]);
    }

    /// <summary>
    /// sum + term (term first when there is no sum yet). Outside createGraph the sum is a fresh
    /// tensor of this op's, so the term is added into it in place and handed back to the pool
    /// (the same bits as sum + term, without a (gates·hidden, hidden) array per step).
    /// </summary>
    private static Tensor Accumulate(Tensor? sum, Tensor term)
    {
        if (sum is null) return term;
        if (Tape.IsGradEnabled) return sum + term;
        sum.AccumulateInPlace(term);
        term.Dispose();
        return sum;
    }

    // The derivatives as PyTorch's CPU kernels compute them (sigmoid_backward, tanh_backward, threshold_backward).
    private static Tensor SigmoidBackward(Tensor g, Tensor s) => g * (1 - s) * s;

    private static Tensor TanhBackward(Tensor g, Tensor t) => g * (1 - t * t);

    private static Tensor ReluBackward(Tensor g, Tensor r) => Tensor.Where(r.Gt(0), g, Tensor.ZerosLike(g));

    /// <summary>Σ_rows G in double, rounded once: what <see cref="Functional.Linear"/>'s backward gives its bias. Recorded, so differentiable again.</summary>
    private static Tensor SumRows(Tensor g)
    {
        int rows = g.Dims[0], cols = g.Dims[1];
        var sums = Tensor.Uninitialized([cols], g.DType);
        DTypeDispatch.RunFloat(g.DType, new SumRowsCall(g, cols, sums));
        return Tape.Record(sums, "SumRows", [g], gs => [gs.Unsqueeze(0).Expand(rows, -1)]);
    }

    private readonly struct LstmForwardCall(Tensor gi, Tensor w, Tensor? b, Tensor h0, Tensor c0, Tensor[] act, Tensor[] c, Tensor[] tc, Tensor[] h, bool reverse) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T>
            => LstmSequence.Forward<T>(gi.Buffer<T>(), w.Buffer<T>(), b?.Buffer<T>(), h0.Buffer<T>(), c0.Buffer<T>(), gi.Dims[0], h0.Dims[0], h0.Dims[1], reverse,
                Buffers<T>(act), Buffers<T>(c), Buffers<T>(tc), Buffers<T>(h), Threading.NumThreads);
    }

    private readonly struct LstmBackwardCall(Tensor gradOutput, Tensor w, Tensor h0, Tensor c0, Steps s, Tensor dGates, Tensor dh0, Tensor dc0, Tensor dW, Tensor? dB, bool reverse) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T>
            => LstmSequence.Backward<T>(gradOutput.Buffer<T>(), w.Buffer<T>(), h0.Buffer<T>(), c0.Buffer<T>(), s.H.Length, h0.Dims[0], h0.Dims[1], reverse,
                Buffers<T>(s.Act!), Buffers<T>(s.C!), Buffers<T>(s.TanhC!), Buffers<T>(s.H), dGates.Buffer<T>(), dh0.Buffer<T>(), dc0.Buffer<T>(), dW.Buffer<T>(), dB?.Buffer<T>(), Threading.NumThreads);
    }

    private static T[][] Buffers<T>(Tensor[] tensors) where T : unmanaged => Array.ConvertAll(tensors, t => t.Buffer<T>());

    private readonly struct SumRowsCall(Tensor g, int cols, Tensor sums) : IFloatKernelCall
    {
        public void Run<T>() where T : unmanaged, IFloatingPointIeee754<T> => ReduceKernels.SumRowsInDouble<T>(g.Buffer<T>(), cols, sums.Buffer<T>());
    }
}
