using Autograd.Nn;
using Autograd.Optim;
using Autograd.Samples.Classifiers;

namespace Autograd.Samples;

/// <summary>
/// Backpropagation through time. An Elman RNN, h_t = tanh(W_ih x_t + W_hh h_(t-1) + b_h), is
/// unrolled on the tape: one set of ops per time step, all sharing the same parameter tensors, so
/// <see cref="Tensor.Backward"/> walks back through every step and adds up each parameter's
/// gradient over time. The task is delayed recall: read a stream of random bits and, at each
/// step, output the bit seen <see cref="Delay"/> steps ago. The sample checks the unrolled
/// gradients against finite differences, trains the RNN, and then measures how the gradient
/// reaching each hidden state h_t shrinks the further back in time it is (vanishing gradients).
/// </summary>
public static class Bptt
{
    /// <summary>The number of steps the RNN must remember a bit.</summary>
    public const int Delay = 3;

    /// <summary>What <see cref="Run"/> measured.</summary>
    /// <param name="GradCheck">The finite-difference check of the unrolled gradients (Float64, tiny RNN).</param>
    /// <param name="InitialAccuracy">Bit accuracy on fresh sequences before training.</param>
    /// <param name="FinalAccuracy">Bit accuracy on fresh sequences after training.</param>
    /// <param name="GradientNormsBefore">‖∂loss/∂h_t‖ for t = 0 .. T-1 at initialisation, the loss being the last step's only.</param>
    /// <param name="GradientNormsAfter">The same after training.</param>
    /// <param name="TruncatedAccuracy">Bit accuracy of the built-in <see cref="RNN"/> trained by truncated BPTT, on a fresh stream.</param>
    /// <param name="BuiltInDifference">The largest |difference| between the gradients of the hand-written RNN and of the built-in <see cref="RNN"/> with the same weights (Float64).</param>
    /// <param name="RnnInputGradients">‖∂loss/∂x_t‖ for the built-in RNN at initialisation, relative to the largest, the loss being the last step's only.</param>
    /// <param name="LstmInputGradients">The same for an <see cref="LSTM"/>.</param>
    /// <param name="OpenLstmInputGradients">The same for an <see cref="LSTM"/> whose forget gates start open (bias +2).</param>
    public sealed record Result(GradCheckResult GradCheck, double InitialAccuracy, double FinalAccuracy, double[] GradientNormsBefore, double[] GradientNormsAfter,
        double TruncatedAccuracy, double BuiltInDifference, double[] RnnInputGradients, double[] LstmInputGradients, double[] OpenLstmInputGradients);

    /// <summary>The RNN's parameters, with a linear read-out from the hidden state to one logit.</summary>
    private sealed record Rnn(Tensor WeightIh, Tensor WeightHh, Tensor BiasH, Tensor WeightOut, Tensor BiasOut)
    {
        public Tensor[] All => [WeightIh, WeightHh, BiasH, WeightOut, BiasOut];

        public static Rnn From(IReadOnlyList<Tensor> p) => new(p[0], p[1], p[2], p[3], p[4]);

        /// <summary>Every weight from U(-1/√hidden, 1/√hidden), as PyTorch's nn.RNN.</summary>
        public static Rnn Create(int hidden, Generator g, DType dtype = DType.Float32)
        {
            double bound = 1 / Math.Sqrt(hidden);
            Tensor New(params int[] shape)
            {
                var p = Init.Uniform(Tensor.Zeros(shape, dtype), -bound, bound, g);
                p.RequiresGrad = true;
                return p;
            }
            return new Rnn(New(hidden, 1), New(hidden, hidden), New(hidden), New(1, hidden), New(1));
        }
    }

    /// <summary>Checks the gradients, trains, then prints the gradient norm per time step.</summary>
    /// <param name="output">Where to print.</param>
    /// <param name="steps">Adam steps (the smoke test uses fewer).</param>
    /// <param name="longSequence">T for the vanishing-gradient measurement.</param>
    /// <param name="outputDirectory">Where to write the RNN-against-LSTM plot (null: no file).</param>
    public static Result Run(TextWriter output, int steps = 400, int longSequence = 30, string? outputDirectory = null)
    {
        void Say(FormattableString line) => output.WriteLine(FormattableString.Invariant(line));
        var g = new Generator(3);

        // ---- 1. the unrolled gradients against central differences, in Float64, on a tiny RNN
        var tiny = Rnn.Create(hidden: 3, g, DType.Float64);
        var tinyBits = RandomBits(steps: 5, batch: 2, g).To(DType.Float64);
        var check = GradCheck.Check(p => Loss(Rnn.From(p), tinyBits), tiny.All);
        Say($"GradCheck of the unrolled RNN (hidden 3, T = 5, batch 2, Float64, all 5 parameter tensors):");
        Say($"  {check}");
        Say($"");

        // ---- 2. training: every step sees a fresh batch of 64 random sequences of length 12
        var rnn = Rnn.Create(hidden: 16, new Generator(5));
        var testBits = RandomBits(steps: 12, batch: 512, g);
        double initialAccuracy = Accuracy(rnn, testBits);
        var optimizer = new Adam(rnn.All, lr: 0.01);
        Say($"Training an Elman RNN (hidden 16) to output the bit it saw {Delay} steps ago; Adam, lr 0.01, batches of 64 sequences of length 12");
        for (int step = 1; step <= steps; step++)
        {
            optimizer.ZeroGrad();
            var loss = Loss(rnn, RandomBits(steps: 12, batch: 64, g));
            loss.Backward();   // back through all 12 time steps
            optimizer.Step();
            if (step % 100 == 0 || step == steps)
                Say($"  step {step,4}: loss {loss.Item():F4}");
        }
        double finalAccuracy = Accuracy(rnn, testBits);
        Say($"bit accuracy on 512 fresh sequences: {initialAccuracy:P1} before training, {finalAccuracy:P1} after (50 % is guessing)");
        Say($"");

        // ---- 3. vanishing gradients: how much does h_t affect the loss at the last step?
        var bits = RandomBits(longSequence, batch: 64, g);
        double[] before = GradientNorms(Rnn.Create(hidden: 16, new Generator(5)), bits);   // same seed: rnn before training
        double[] after = GradientNorms(rnn, bits);
        int last = longSequence - 1, peak = Array.IndexOf(after, after.Max());
        Say($"‖∂loss/∂h_t‖ for the loss of the last step only, on sequences of T = {longSequence}, relative to the largest;");
        Say($"each step back multiplies the gradient by W_hhᵀ diag(1 - h_t²). Bars are log10, one # per factor 10^0.25:");
        Say($"          at initialisation          after training");
        for (int t = last; t >= 0; t--)
            Say($"  t = {t,2}  {before[t] / before.Max(),7:0.0E+0} {Bar(before[t] / before.Max()),-16}  {after[t] / after.Max(),7:0.0E+0} {Bar(after[t] / after.Max())}");
        Say($"At initialisation the gradient shrinks by a roughly constant factor per step: after {last} steps back it is");
        Say($"{before[0] / before[last]:0.0E+0} of its size, so a plain RNN can hardly learn dependencies that span many steps");
        Say($"(the problem LSTMs and GRUs were designed to fix). After training it peaks at t = {peak}, where the bit the");
        Say($"last output must recall came in (t = {last} - {Delay}), and fades before that: older inputs do not matter.");
        Say($"");

        // ---- 4. truncated BPTT with the built-in RNN: one long stream, cut into chunks
        double truncatedAccuracy = TruncatedBptt(Say, streamLength: Math.Max(400, steps * 8), chunk: 20);
        Say($"");

        // ---- 5. the built-in RNN computes the same gradients as the hand-written loop
        double difference = CompareWithBuiltIn(g);
        Say($"The built-in RNN with the hand-written RNN's weights (Float64, hidden 8, T = 20): the largest difference");
        Say($"between their gradients of W_ih, W_hh and the bias is {difference:0.0E+0} (rounding: the layer adds its two biases separately).");
        Say($"");

        // ---- 6. RNN against LSTM: how far back does the last step's loss reach?
        var bitsLong = RandomBits(longSequence, batch: 64, g);
        double[] rnnNorms = InputGradientNorms(new RNN(1, 16, generator: new Generator(31)), bitsLong);
        double[] lstmNorms = InputGradientNorms(new LSTM(1, 16, generator: new Generator(31)), bitsLong);
        var remembering = new LSTM(1, 16, generator: new Generator(31));
        var forgetOpen = remembering.NamedParameters().First(p => p.Name == "bias_ih_l0").Parameter;   // rows i, f, g, o: f is 16..31
        float[] values = forgetOpen.ToArray<float>();
        Array.Fill(values, 2f, 16, 16);
        using (Tape.NoGrad()) forgetOpen.CopyFrom(Tensor.FromArray(values));   // forget gates open
        double[] openNorms = InputGradientNorms(remembering, bitsLong);
        Say($"‖∂loss/∂x_t‖ for the loss of the last step, at initialisation, relative to the largest (hidden 16, T = {longSequence}):");
        Say($"           {"RNN",-24} {"LSTM",-24} LSTM, forget bias +2");
        for (int t = last; t >= 0; t -= 3)
            Say($"  t = {t,2}   {rnnNorms[t],7:0.0E+0} {Bar(rnnNorms[t]),-16} {lstmNorms[t],7:0.0E+0} {Bar(lstmNorms[t]),-16} {openNorms[t],7:0.0E+0} {Bar(openNorms[t])}");
        Say($"The RNN's gradient shrinks by a roughly constant factor per step (W_hhᵀ diag(1 - h_t²) each time). The LSTM's");
        Say($"cell state c_t = f ⊙ c_(t-1) + i ⊙ g passes the gradient back multiplied by the forget gate f only: at PyTorch's");
        Say($"initialisation f ≈ σ(0) = 0.5, so it still fades; with the forget gates' bias at +2 (f ≈ 0.9, what training learns");
        Say($"when memory pays) the gradient from {last} steps back is {openNorms[0] / rnnNorms[0]:0.0E+0} times the RNN's.");
        if (outputDirectory is not null)
        {
            Directory.CreateDirectory(outputDirectory);
            string path = Path.Combine(outputDirectory, "bptt-rnn-vs-lstm.svg");
            double[] steps1 = [.. Enumerable.Range(0, longSequence).Select(t => (double)t)];
            File.WriteAllText(path, SvgPlot.LineChart($"Gradient of the last step's loss reaching each input (T = {longSequence})", "time step t",
                "log10 ‖∂loss/∂x_t‖ (relative)",
                [
                    new Series("RNN", steps1, [.. rnnNorms.Select(Math.Log10)], SvgPlot.Palette[0]),
                    new Series("LSTM", steps1, [.. lstmNorms.Select(Math.Log10)], SvgPlot.Palette[1]),
                    new Series("LSTM, forget bias +2", steps1, [.. openNorms.Select(Math.Log10)], SvgPlot.Palette[2]),
                ], LegendCorner.BottomRight));
            Say($"  wrote {path}");
        }
        return new Result(check, initialAccuracy, finalAccuracy, before, after, truncatedAccuracy, difference, rnnNorms, lstmNorms, openNorms);
    }

    /// <summary>
    /// The hand-written RNN and the built-in <see cref="RNN"/> with the same weights (its second bias
    /// zero), the same loss Σ_t Σ h_t · v: the largest difference between their weight gradients.
    /// </summary>
    private static double CompareWithBuiltIn(Generator g)
    {
        var hand = Rnn.Create(hidden: 8, new Generator(21), DType.Float64);
        var builtIn = new RNN(1, 8, dtype: DType.Float64);
        builtIn.LoadStateDict(new Dictionary<string, Tensor>
        {
            ["weight_ih_l0"] = hand.WeightIh.Detach(), ["weight_hh_l0"] = hand.WeightHh.Detach(),
            ["bias_ih_l0"] = hand.BiasH.Detach(), ["bias_hh_l0"] = Tensor.Zeros([8], DType.Float64),
        });
        var x = RandomBits(steps: 20, batch: 4, g).To(DType.Float64);
        var v = Tensor.Randn([8], g, DType.Float64);
        var (_, hidden) = Unroll(hand, x);
        var handGrads = Tape.Grad((Tensor.Stack(hidden, 0) * v).Sum(), [hand.WeightIh, hand.WeightHh, hand.BiasH]);
        var (output, _) = builtIn.Forward(x);
        var named = builtIn.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        var builtInGrads = Tape.Grad((output * v).Sum(), [named["weight_ih_l0"], named["weight_hh_l0"], named["bias_ih_l0"]]);
        return handGrads.Zip(builtInGrads, (a, b) => (a - b).Abs().Max().Item()).Max();
    }

    /// <summary>‖∂loss/∂x_t‖ (over the batch) for every t, relative to the largest, the loss being a fixed projection of the last output.</summary>
    private static double[] InputGradientNorms(Module<Tensor, Tensor?, (Tensor Output, Tensor Hidden)> rnn, Tensor bits)
        => InputGradientNorms(x => rnn.Forward(x, null).Output, bits);

    private static double[] InputGradientNorms(Module<Tensor, (Tensor, Tensor)?, (Tensor Output, (Tensor H, Tensor C) Hidden)> lstm, Tensor bits)
        => InputGradientNorms(x => lstm.Forward(x, null).Output, bits);

    private static double[] InputGradientNorms(Func<Tensor, Tensor> run, Tensor bits)
    {
        var x = bits.Detach();
        x.RequiresGrad = true;
        var output = run(x);
        var v = Tensor.Randn([output.Shape[2]], new Generator(32));
        var loss = (output.Select(0, output.Shape[0] - 1) * v).Sum();
        var grad = Tape.Grad(loss, [x])[0];
        double[] norms = [.. Enumerable.Range(0, x.Shape[0]).Select(t => grad.Select(0, t).Pow(2).Sum().Sqrt().Item())];
        double max = norms.Max();
        return [.. norms.Select(n => n / max)];
    }

    /// <summary>
    /// Truncated backpropagation through time: the built-in <see cref="RNN"/> reads one long stream
    /// of bits chunk by chunk. Each chunk starts from the previous chunk's final state, detached
    /// (<c>h.Detach()</c>), so the forward pass remembers across chunks while each backward pass
    /// stops at the chunk's start: memory and time per step do not grow with the stream's length.
    /// </summary>
    private static double TruncatedBptt(Action<FormattableString> say, int streamLength, int chunk)
    {
        var g = new Generator(11);
        var rnn = new RNN(inputSize: 1, hiddenSize: 16, generator: new Generator(7));
        var readout = new Linear(16, 1, generator: new Generator(8));
        var optimizer = new Adam([.. rnn.Parameters(), .. readout.Parameters()], lr: 0.01);
        var stream = RandomBits(streamLength, batch: 32, g);   // (T, N, 1): 32 streams side by side
        say($"Truncated BPTT with the built-in RNN (hidden 16): {streamLength} steps of 32 streams, in chunks of {chunk};");
        say($"the state is carried from chunk to chunk but detached, so each backward pass covers {chunk} steps only.");
        Tensor? h = null;
        for (int start = 0; start + chunk <= streamLength; start += chunk)
        {
            var (output, last) = rnn.Forward(stream.Narrow(0, start, chunk), h);
            // The target at time t is the bit of time t - Delay, which may lie in the previous chunk:
            // that is only data, the state carries the memory.
            int first = Math.Max(start, Delay);
            var logits = readout.Forward(output.Narrow(0, first - start, start + chunk - first));
            var loss = Functional.BinaryCrossEntropyWithLogits(logits, stream.Narrow(0, first - Delay, start + chunk - first));
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
            h = last.Detach();   // the truncation: keep the values, cut the graph
        }

        // A fresh stream, read chunk by chunk with the state carried over.
        using var _ = Tape.NoGrad();
        var test = RandomBits(20 * chunk, batch: 64, g);
        Tensor? state = null;
        var predictions = new List<Tensor>();
        for (int start = 0; start < test.Shape[0]; start += chunk)
        {
            var (output, last) = rnn.Forward(test.Narrow(0, start, chunk), state);
            predictions.Add(readout.Forward(output).Gt(0));
            state = last;
        }
        var predicted = Tensor.Concat([.. predictions], 0).Narrow(0, Delay, test.Shape[0] - Delay);
        double accuracy = predicted.Eq(test.Narrow(0, 0, test.Shape[0] - Delay)).Mean().Item();
        say($"bit accuracy on a fresh stream of {test.Shape[0]} steps, read in chunks: {accuracy:P1}");
        return accuracy;
    }

    /// <summary>Runs the RNN over <paramref name="x"/> (T, N, 1); returns the logits (T, N, 1) and each h_t (N, hidden).</summary>
    private static (Tensor Logits, Tensor[] Hidden) Unroll(Rnn rnn, Tensor x)
    {
        int steps = x.Shape[0], batch = x.Shape[1], hiddenSize = rnn.WeightHh.Shape[0];
        var h = Tensor.Zeros([batch, hiddenSize], x.DType);
        var hidden = new Tensor[steps];
        var logits = new Tensor[steps];
        for (int t = 0; t < steps; t++)
        {
            // The same parameter tensors at every step: their gradients add up over time.
            h = (Functional.Linear(x.Select(0, t), rnn.WeightIh) + Functional.Linear(h, rnn.WeightHh, rnn.BiasH)).Tanh();
            hidden[t] = h;
            logits[t] = Functional.Linear(h, rnn.WeightOut, rnn.BiasOut);
        }
        return (Tensor.Stack(logits, 0), hidden);
    }

    /// <summary>‖∂loss/∂h_t‖ for every t, where the loss is that of the last step only.</summary>
    private static double[] GradientNorms(Rnn rnn, Tensor bits)
    {
        int last = bits.Shape[0] - 1;
        var (logits, hidden) = Unroll(rnn, bits);
        var lastLoss = Functional.BinaryCrossEntropyWithLogits(logits.Select(0, last), bits.Select(0, last - Delay));
        Tensor[] gradients = Tape.Grad(lastLoss, hidden);   // the h_t are intermediate results: one backward pass gives all
        return gradients.Select(gt => gt.Pow(2).Sum().Sqrt().Item()).ToArray();
    }

    private static string Bar(double ratio) => new('#', Math.Clamp((int)Math.Round(16 + 4 * Math.Log10(ratio)), 0, 16));

    /// <summary>BCE over the steps that have a target: the output at t should be the input at t - Delay.</summary>
    private static Tensor Loss(Rnn rnn, Tensor bits)
    {
        int steps = bits.Shape[0];
        var (logits, _) = Unroll(rnn, bits);
        return Functional.BinaryCrossEntropyWithLogits(logits.Narrow(0, Delay, steps - Delay), bits.Narrow(0, 0, steps - Delay));
    }

    private static double Accuracy(Rnn rnn, Tensor bits)
    {
        using var _ = Tape.NoGrad();
        int steps = bits.Shape[0];
        var predicted = Unroll(rnn, bits).Logits.Narrow(0, Delay, steps - Delay).Gt(0);
        return predicted.Eq(bits.Narrow(0, 0, steps - Delay)).Mean().Item();
    }

    /// <summary>Random 0/1 inputs, shape (T, N, 1), Float32.</summary>
    private static Tensor RandomBits(int steps, int batch, Generator g) => Tensor.RandInt(0, 2, [steps, batch, 1], g).To(DType.Float32);
}
